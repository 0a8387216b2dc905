/// Technical indicators computed over whole series, as backtesting.py strategies compute
/// them in `init()`. Every sum runs strictly left to right so results are bit-reproducible;
/// values are NaN where undefined.
///
/// ```swift
/// let fast = Indicators.sma(bars.close, 10)
/// let slow = Indicators.sma(bars.close, 30)
/// if Indicators.crossover(fast, slow, at: i) { ... }
/// ```
public enum Indicators {
    /// Simple moving average: `(x[i-n+1] + ... + x[i]) / n` for `i >= n-1`.
    public static func sma(_ x: [Double], _ n: Int) -> [Double] {
        let count = x.count
        var out = [Double](repeating: .nan, count: count)
        guard n >= 1, count >= n else { return out }
        x.withUnsafeBufferPointer { xb in
            out.withUnsafeMutableBufferPointer { ob in
                guard let xp = xb.baseAddress, let op = ob.baseAddress else { return }
                let raw = UnsafeRawPointer(xp)
                let dn = Double(n)
                var i = n - 1
                // Sixteen outputs at a time, one per SIMD lane in two independent accumulators:
                // each lane still adds its window strictly left to right, so the result is
                // bit-identical to the scalar loop.
                let divisor = SIMD8(repeating: dn)
                while i + 15 < count {
                    let base = i - n + 1
                    var s0 = raw.loadUnaligned(fromByteOffset: base * 8, as: SIMD8<Double>.self)
                    var s1 = raw.loadUnaligned(fromByteOffset: (base + 8) * 8, as: SIMD8<Double>.self)
                    var k = 1
                    while k < n {
                        s0 += raw.loadUnaligned(fromByteOffset: (base + k) * 8, as: SIMD8<Double>.self)
                        s1 += raw.loadUnaligned(fromByteOffset: (base + k + 8) * 8, as: SIMD8<Double>.self)
                        k += 1
                    }
                    let o = UnsafeMutableRawPointer(op)
                    o.storeBytes(of: s0 / divisor, toByteOffset: i * 8, as: SIMD8<Double>.self)
                    o.storeBytes(of: s1 / divisor, toByteOffset: (i + 8) * 8, as: SIMD8<Double>.self)
                    i += 16
                }
                while i < count {
                    var s = xp[i - n + 1]
                    var k = i - n + 2
                    while k <= i {
                        s += xp[k]
                        k += 1
                    }
                    op[i] = s / dn
                    i += 1
                }
            }
        }
        return out
    }

    /// Exponential moving average seeded with the SMA of the first `n` defined inputs, then
    /// `a*x[i] + (1-a)*EMA[i-1]` with `a = 2/(n+1)`. Leading NaNs of `x` are skipped.
    public static func ema(_ x: [Double], _ n: Int) -> [Double] {
        let count = x.count
        var out = [Double](repeating: .nan, count: count)
        guard n >= 1 else { return out }
        guard let s = x.firstIndex(where: { !$0.isNaN }), s + n - 1 < count else { return out }
        var sum = x[s]
        for k in (s + 1)..<(s + n) { sum += x[k] }
        var prev = sum / Double(n)
        out[s + n - 1] = prev
        let a = 2.0 / Double(n + 1)
        let b = 1.0 - a
        var i = s + n
        while i < count {
            prev = a * x[i] + b * prev
            out[i] = prev
            i += 1
        }
        return out
    }

    /// Relative strength index with Wilder's smoothing; defined from `i = n`.
    public static func rsi(_ x: [Double], _ n: Int) -> [Double] {
        let count = x.count
        var out = [Double](repeating: .nan, count: count)
        guard n >= 1, count > n else { return out }
        var ag = 0.0
        var al = 0.0
        for k in 1...n {
            let d = x[k] - x[k - 1]
            let g = max(d, 0)
            let l = max(-d, 0)
            if k == 1 {
                ag = g
                al = l
            } else {
                ag += g
                al += l
            }
        }
        let dn = Double(n)
        let dn1 = Double(n - 1)
        ag /= dn
        al /= dn
        func value(_ ag: Double, _ al: Double) -> Double {
            let t = ag + al
            return t == 0 ? 50 : 100 * ag / t
        }
        out[n] = value(ag, al)
        var i = n + 1
        while i < count {
            let d = x[i] - x[i - 1]
            ag = (ag * dn1 + max(d, 0)) / dn
            al = (al * dn1 + max(-d, 0)) / dn
            out[i] = value(ag, al)
            i += 1
        }
        return out
    }

    /// Bollinger bands: the SMA and `k` population standard deviations either side.
    public static func bollinger(_ x: [Double], _ n: Int, _ k: Double) -> (mid: [Double], upper: [Double], lower: [Double]) {
        let mid = sma(x, n)
        var upper = [Double](repeating: .nan, count: x.count)
        var lower = upper
        guard n >= 1, x.count >= n else { return (mid, upper, lower) }
        for i in (n - 1)..<x.count {
            let m = mid[i]
            var d = x[i - n + 1] - m
            var s = d * d
            var j = i - n + 2
            while j <= i {
                d = x[j] - m
                s += d * d
                j += 1
            }
            let sd = (s / Double(n)).squareRoot()
            upper[i] = m + k * sd
            lower[i] = m - k * sd
        }
        return (mid, upper, lower)
    }

    /// MACD line (`EMA_fast - EMA_slow`) and its signal line (`EMA_signal` of the line).
    public static func macd(_ x: [Double], fast: Int, slow: Int, signal: Int) -> (line: [Double], signal: [Double]) {
        let m = macdWithHistogram(x, fast: fast, slow: slow, signal: signal)
        return (m.line, m.signal)
    }

    /// Donchian channel of the previous `n` bars (the current bar excluded); defined from `i = n`.
    public static func donchian(high: [Double], low: [Double], _ n: Int) -> (upper: [Double], lower: [Double]) {
        let count = high.count
        var upper = [Double](repeating: .nan, count: count)
        var lower = upper
        guard n >= 1, count > n else { return (upper, lower) }
        for i in n..<count {
            var hi = high[i - n]
            var lo = low[i - n]
            for k in (i - n + 1)..<i {
                hi = Swift.max(hi, high[k])
                lo = Swift.min(lo, low[k])
            }
            upper[i] = hi
            lower[i] = lo
        }
        return (upper, lower)
    }

    /// `true` when `a` crosses above `b` on bar `i`: `a[i-1] < b[i-1] && a[i] > b[i]`
    /// (strict; NaN anywhere gives `false`), as `backtesting.lib.crossover`.
    @inlinable
    public static func crossover(_ a: [Double], _ b: [Double], at i: Int) -> Bool {
        i >= 1 && a[i - 1] < b[i - 1] && a[i] > b[i]
    }

    /// The index of the first non-NaN value, or 0 when there is none (backtesting.py's
    /// warm-up rule for one indicator).
    public static func firstValidIndex(_ x: [Double]) -> Int {
        x.firstIndex(where: { !$0.isNaN }) ?? 0
    }
}
