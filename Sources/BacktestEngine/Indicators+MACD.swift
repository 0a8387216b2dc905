extension Indicators {
    /// MACD line, signal line and histogram (`line - signal`) in one pass: the three
    /// exponential averages run side by side, each with exactly the operations of
    /// ``ema(_:_:)``, so the values are identical to `ema(x, fast) - ema(x, slow)` and
    /// `ema(line, signal)` while their dependency chains overlap in the CPU.
    public static func macdWithHistogram(
        _ x: [Double],
        fast: Int,
        slow: Int,
        signal: Int
    ) -> (line: [Double], signal: [Double], histogram: [Double]) {
        let count = x.count
        var line = [Double](repeating: .nan, count: count)
        var signalLine = [Double](repeating: .nan, count: count)
        var histogram = [Double](repeating: .nan, count: count)
        guard let start = x.firstIndex(where: { !$0.isNaN }) else { return (line, signalLine, histogram) }
        var f = EMAStep(period: fast, start: start)
        var s = EMAStep(period: slow, start: start)
        var g = EMAStep(period: signal, start: count)  // starts at the line's first value
        x.withUnsafeBufferPointer { xp in
            line.withUnsafeMutableBufferPointer { lp in
                signalLine.withUnsafeMutableBufferPointer { sp in
                    histogram.withUnsafeMutableBufferPointer { hp in
                        var i = start
                        // Until the three averages are seeded (the signal's start is the
                        // line's first value).
                        while i < count && (g.start == count || i <= max(f.seedEnd, s.seedEnd, g.seedEnd)) {
                            let l = f.next(xp[i], at: i) - s.next(xp[i], at: i)
                            lp[i] = l
                            if g.start == count && !l.isNaN { g.start = i }
                            let v = g.next(l, at: i)
                            sp[i] = v
                            hp[i] = l - v
                            i += 1
                        }
                        // Then the same steps without a branch: only the three chains of
                        // `step` (`a * x + b * previous`) are left, which bound the loop's speed.
                        var fv = f.value
                        var sv = s.value
                        var gv = g.value
                        while i < count {
                            let x = xp[i]
                            fv = f.step(x, from: fv)
                            sv = s.step(x, from: sv)
                            let l = fv - sv
                            lp[i] = l
                            gv = g.step(l, from: gv)
                            sp[i] = gv
                            hp[i] = l - gv
                            i += 1
                        }
                    }
                }
            }
        }
        return (line, signalLine, histogram)
    }

    /// How `a` compares with `b` on every bar: `1` where `a > b`, `-1` where `a < b`, `0`
    /// where they are equal or either is NaN. `a` crosses above `b` on bar `i`
    /// (``crossover(_:_:at:)``) exactly when `order[i - 1] < 0 && order[i] > 0`.
    public static func order(_ a: [Double], _ b: [Double]) -> [Int8] {
        let count = min(a.count, b.count)
        var out = [Int8](repeating: 0, count: count)
        a.withUnsafeBufferPointer { ap in
            b.withUnsafeBufferPointer { bp in
                out.withUnsafeMutableBufferPointer { op in
                    for i in 0..<count {
                        let x = ap[i]
                        let y = bp[i]
                        op[i] = x > y ? 1 : x < y ? -1 : 0
                    }
                }
            }
        }
        return out
    }

    /// The first bar at or after `bar` (and after bar 0) where an ``order(_:_:)`` series
    /// turns from `-1` to `1` or from `1` to `-1` (a crossover either way), or
    /// `order.count` when there is none.
    public static func nextCross(_ order: [Int8], from bar: Int) -> Int {
        order.withUnsafeBufferPointer { op in
            var i = max(bar, 1)
            // Eight bars at a time: a cross is a byte pair 1, -1 or -1, 1, whose XOR is 0xFE;
            // the lowest flagged byte of the zero-byte test below is the first such pair.
            if let base = op.baseAddress {
                let raw = UnsafeRawPointer(base)
                while i + 8 <= op.count {
                    let before = raw.loadUnaligned(fromByteOffset: i - 1, as: UInt64.self)
                    let now = raw.loadUnaligned(fromByteOffset: i, as: UInt64.self)
                    let t = (before ^ now) ^ 0xFEFE_FEFE_FEFE_FEFE
                    let zero = (t &- 0x0101_0101_0101_0101) & ~t & 0x8080_8080_8080_8080
                    if zero != 0 { return i + zero.trailingZeroBitCount / 8 }
                    i += 8
                }
            }
            while i < op.count {
                // The product of the two signs is -1 exactly at a cross.
                if Int(op[i - 1]) * Int(op[i]) < 0 { return i }
                i += 1
            }
            return max(op.count, bar)
        }
    }
}

/// One exponential average advanced bar by bar with the operations of
/// ``Indicators/ema(_:_:)``: NaN until `start + period - 1`, the mean of the first `period`
/// inputs there (summed left to right), then `a * x + (1 - a) * previous`.
struct EMAStep {
    let period: Int
    var start: Int
    let a: Double
    let b: Double
    var value = Double.nan
    var sum = 0.0

    init(period: Int, start: Int) {
        self.period = period
        self.start = start
        a = 2.0 / Double(period + 1)
        b = 1.0 - a
    }

    /// The bar of the seed (the mean of the first `period` inputs); every later bar takes
    /// `a * x + b * previous`.
    var seedEnd: Int { start + period - 1 }

    /// The average after input `x`, from the average `previous` (a bar after the seed).
    @inline(__always)
    func step(_ x: Double, from previous: Double) -> Double {
        a * x + b * previous
    }

    /// The average at bar `i` after input `x` (bars must come in order).
    @inline(__always)
    mutating func next(_ x: Double, at i: Int) -> Double {
        if i > seedEnd {
            value = step(x, from: value)
            return value
        }
        guard period >= 1, i >= start else { return .nan }
        sum = i == start ? x : sum + x
        if i < seedEnd { return .nan }
        value = sum / Double(period)
        return value
    }
}
