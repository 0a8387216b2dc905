import BacktestEngine

/// The indicators the engine does not have, and helpers over whole series. Every value is
/// NaN where undefined; sums run strictly left to right, so results are reproducible.
enum RulesMath {
    /// `x` shifted right by `n` bars: `x[i - n]`, NaN for `i < n`.
    static func shift(_ x: [Double], _ n: Int) -> [Double] {
        guard n > 0 else { return x }
        var out = [Double](repeating: .nan, count: x.count)
        if n < x.count {
            for i in n..<x.count { out[i] = x[i - n] }
        }
        return out
    }

    /// `x` shifted right by `n` bars, `false` for `i < n`.
    static func shift(_ x: [Bool], _ n: Int) -> [Bool] {
        guard n > 0 else { return x }
        var out = [Bool](repeating: false, count: x.count)
        if n < x.count {
            for i in n..<x.count { out[i] = x[i - n] }
        }
        return out
    }

    /// Applies `f` to `x` without its leading NaNs and pads the result back, so an
    /// indicator of an indicator starts where its source does (as the engine's EMA does).
    static func skippingLeadingNaN(_ x: [Double], _ f: ([Double]) -> [Double]) -> [Double] {
        guard let s = x.firstIndex(where: { !$0.isNaN }) else { return [Double](repeating: .nan, count: x.count) }
        if s == 0 { return f(x) }
        return [Double](repeating: .nan, count: s) + f(Array(x[s...]))
    }

    /// The engine's Wilder RSI (``Indicators/rsi(_:_:)``), from the first defined value.
    static func rsi(_ x: [Double], _ n: Int) -> [Double] {
        skippingLeadingNaN(x) { Indicators.rsi($0, n) }
    }

    /// Linearly weighted moving average: weights 1 (oldest) to `n` (newest), divided by
    /// `n(n+1)/2`; defined from `i = n - 1`.
    static func wma(_ x: [Double], _ n: Int) -> [Double] {
        var out = [Double](repeating: .nan, count: x.count)
        guard n >= 1, x.count >= n else { return out }
        let divisor = Double(n) * Double(n + 1) / 2
        for i in (n - 1)..<x.count {
            var s = x[i - n + 1]
            var w = 2.0
            for k in (i - n + 2)..<(i + 1) {
                s += w * x[k]
                w += 1
            }
            out[i] = s / divisor
        }
        return out
    }

    /// Sample standard deviation (pandas' `rolling(n).std()`, ddof = 1) over `n` bars:
    /// the mean is the left-to-right sum over `n`, then `sqrt(sum((x - mean)^2) / (n - 1))`.
    /// Defined from `i = n - 1`; NaN everywhere for `n = 1`.
    static func stdev(_ x: [Double], _ n: Int) -> [Double] {
        var out = [Double](repeating: .nan, count: x.count)
        guard n >= 2, x.count >= n else { return out }
        let dn = Double(n)
        for i in (n - 1)..<x.count {
            var s = x[i - n + 1]
            for k in (i - n + 2)..<(i + 1) { s += x[k] }
            let m = s / dn
            var d = x[i - n + 1] - m
            var ss = d * d
            for k in (i - n + 2)..<(i + 1) {
                d = x[k] - m
                ss += d * d
            }
            out[i] = (ss / (dn - 1)).squareRoot()
        }
        return out
    }

    /// The largest (`largest`) or smallest value of `x[i-n+1 ... i]`, NaN when the window
    /// holds a NaN (pandas' `rolling(n).max()`/`.min()`); O(bars) with a monotonic queue.
    static func extreme(_ x: [Double], _ n: Int, largest: Bool) -> [Double] {
        let count = x.count
        var out = [Double](repeating: .nan, count: count)
        guard n >= 1, count >= n else { return out }
        var queue = [Int](repeating: 0, count: count)
        var head = 0
        var tail = 0
        var lastNaN = -1
        for i in 0..<count {
            let v = x[i]
            if v.isNaN {
                lastNaN = i
            } else {
                while tail > head, largest ? x[queue[tail - 1]] <= v : x[queue[tail - 1]] >= v { tail -= 1 }
                queue[tail] = i
                tail += 1
            }
            while tail > head && queue[head] <= i - n { head += 1 }
            if i >= n - 1 && lastNaN <= i - n && tail > head { out[i] = x[queue[head]] }
        }
        return out
    }

    /// The Donchian channel of the previous `n` bars (the current bar excluded), as
    /// ``Indicators/donchian(high:low:_:)`` but in O(bars): defined from `i = n`.
    static func donchian(high: [Double], low: [Double], _ n: Int) -> (upper: [Double], lower: [Double]) {
        (shift(extreme(high, n, largest: true), 1), shift(extreme(low, n, largest: false), 1))
    }

    /// Rate of change in percent: `(x[i] / x[i-n] - 1) * 100`; defined from `i = n`.
    static func roc(_ x: [Double], _ n: Int) -> [Double] {
        var out = [Double](repeating: .nan, count: x.count)
        guard n >= 1, x.count > n else { return out }
        for i in n..<x.count { out[i] = (x[i] / x[i - n] - 1) * 100 }
        return out
    }

    /// Difference: `x[i] - x[i-n]`; defined from `i = n`.
    static func change(_ x: [Double], _ n: Int) -> [Double] {
        var out = [Double](repeating: .nan, count: x.count)
        guard n >= 1, x.count > n else { return out }
        for i in n..<x.count { out[i] = x[i] - x[i - n] }
        return out
    }

    /// Average true range with Wilder's smoothing (as TA-Lib): the true range of bar
    /// `i >= 1` is `max(high - low, |high - close[i-1]|, |low - close[i-1]|)`; the first
    /// value, at `i = n`, is the mean of the true ranges of bars `1...n`, then
    /// `atr[i] = (atr[i-1] * (n - 1) + tr[i]) / n`.
    static func atr(high: [Double], low: [Double], close: [Double], _ n: Int) -> [Double] {
        let count = close.count
        var out = [Double](repeating: .nan, count: count)
        guard n >= 1, count > n else { return out }
        func trueRange(_ i: Int) -> Double {
            let c = close[i - 1]
            return Swift.max(high[i] - low[i], Swift.max(abs(high[i] - c), abs(low[i] - c)))
        }
        var s = trueRange(1)
        if n >= 2 {
            for i in 2...n { s += trueRange(i) }
        }
        let dn = Double(n)
        var value = s / dn
        out[n] = value
        if n + 1 < count {
            for i in (n + 1)..<count {
                value = (value * (dn - 1) + trueRange(i)) / dn
                out[i] = value
            }
        }
        return out
    }
}
