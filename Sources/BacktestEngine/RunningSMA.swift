/// A simple moving average computed from a running sum, with a proven bound on how far each
/// value can be from the exact left-to-right ``Indicators/sma(_:_:)``, so that comparisons
/// give exactly the exact SMA's answers at a fraction of its cost.
///
/// The exact SMA adds `n` numbers per bar; this one adds two (the incoming value, minus the
/// outgoing one) and restarts from an exact window sum at least every 264 bars so the
/// rounding error cannot grow. Each value differs from the exact SMA by at most
/// ``errorBound``. ``Indicators/order(_:_:)`` decides from the running values when their gap
/// exceeds the bounds (almost always: the bound is about 1e-13 of the price, decisions in
/// real data are separated by 1e-8 or more) and otherwise recomputes the two exact values,
/// so its answers are identical to the exact SMA's.
///
/// ```swift
/// let fast = RunningSMA(bars.close, 10), slow = RunningSMA(bars.close, 30)
/// let order = Indicators.order(fast, slow)  // the exact SMAs' order on every bar
/// ```
public struct RunningSMA: Sendable, Hashable {
    /// The running values: NaN before bar `period - 1`, as the exact SMA.
    public let values: [Double]
    /// The window length.
    public let period: Int
    /// A bound on `|values[i] - Indicators.sma(source, period)[i]|` for every bar; zero when
    /// the values are the exact ones (a series with NaN or infinite values).
    public let errorBound: Double
    private let source: [Double]

    /// Computes the running SMA of `x` over `n` bars.
    public init(_ x: [Double], _ n: Int) {
        self.init(x, n, maxMagnitude: n >= 1 && x.count >= n ? Self.maxMagnitude(x) : 0)
    }

    /// Computes the running SMA of `x` over `n` bars, given `maxMagnitude(x)` (the bars
    /// keep their close's, so the runs of a search do not rescan it).
    init(_ x: [Double], _ n: Int, maxMagnitude: Double) {
        source = x
        period = n
        let count = x.count
        guard n >= 1, count >= n else {
            values = [Double](repeating: .nan, count: count)
            errorBound = 0
            return
        }
        // Where the bound below does not hold, use the exact SMA: a NaN or an infinity (a
        // running sum would carry it past its window), sums that could overflow, and values
        // so small that rounding is no longer relative (subnormal results).
        guard maxMagnitude.isFinite, maxMagnitude * Double(n + 1) < .greatestFiniteMagnitude,
            maxMagnitude == 0 || maxMagnitude > 0x1p-900
        else {
            values = Indicators.sma(x, n)
            errorBound = 0
            return
        }
        values = Self.running(x, n)
        // Each segment starts from a left-to-right window sum, then takes at most
        // 2 * maxSegment rounded additions of magnitude <= (n + 1) * max|x|. A left-to-right
        // sum of n terms is within (n - 1) * u * n * max|x| of the true sum (on both sides:
        // the segment start and the exact SMA), the exact SMA's division by n adds
        // u * max|x|, and the multiplication by a rounded 1/n adds 2u * max|x|. So
        // |running - exact| <= u * max|x| * (2 (n - 1) + 2 * maxSegment * (n + 1) / n + 3);
        // the factor 2 covers the second-order terms with a wide margin.
        let u = Double.ulpOfOne / 2
        let dn = Double(n)
        let terms = 2 * (dn - 1) + 2 * Double(Self.maxSegment) * (dn + 1) / dn + 3
        errorBound = 2 * u * maxMagnitude * terms
    }

    /// The exact left-to-right SMA at bar `i` (NaN before the first full window).
    public func exact(at i: Int) -> Double {
        guard i >= period - 1, i < source.count, period >= 1 else { return .nan }
        return source.withUnsafeBufferPointer { xb in
            guard let xp = xb.baseAddress else { return .nan }
            return Self.windowSum(xp, end: i, period) / Double(period)
        }
    }

    /// `x[i-n+1] + ... + x[i]`, left to right (the exact SMA's sum).
    @inline(__always)
    static func windowSum(_ xp: UnsafePointer<Double>, end i: Int, _ n: Int) -> Double {
        var s = xp[i - n + 1]
        var k = i - n + 2
        while k <= i {
            s += xp[k]
            k += 1
        }
        return s
    }

    /// `max |x[i]|`, or NaN/infinity when some value is NaN or infinite.
    static func maxMagnitude(_ x: [Double]) -> Double {
        x.withUnsafeBufferPointer { xb in
            guard let xp = xb.baseAddress else { return 0 }
            let raw = UnsafeRawPointer(xp)
            var m = SIMD8<Double>(repeating: 0)
            var poison = SIMD8<Double>(repeating: 0)  // becomes NaN at a NaN or an infinity
            var i = 0
            while i + 8 <= xb.count {
                let v = raw.loadUnaligned(fromByteOffset: i * 8, as: SIMD8<Double>.self)
                let a = v.replacing(with: -v, where: v .< 0)
                m = m.replacing(with: a, where: a .> m)
                poison += v - v
                i += 8
            }
            if poison.sum().isNaN { return .nan }
            var result = m.max()
            while i < xb.count {
                let v = xp[i]
                if !v.isFinite { return .nan }
                result = max(result, abs(v))
                i += 1
            }
            return result
        }
    }

    /// Longest stretch of the running sum between two exact restarts.
    static let maxSegment = 256 + 8

    /// Running sums in up to eight independent segments at a time, so the additions of
    /// different segments overlap in the CPU instead of waiting on one another.
    private static func running(_ x: [Double], _ n: Int) -> [Double] {
        let count = x.count
        return x.withUnsafeBufferPointer { xb in
            // Written straight into the array's storage: NaN before the first full window,
            // then every later element by the segments below (no fill of the whole length).
            [Double](unsafeUninitializedCapacity: count) { ob, initialized in
                let warmup = min(max(0, n - 1), count)
                for i in 0..<warmup { ob.initializeElement(at: i, to: .nan) }
                initialized = count
                guard let xp = xb.baseAddress, let op = ob.baseAddress, n >= 1 else {
                    for i in warmup..<count { ob.initializeElement(at: i, to: .nan) }
                    return
                }
                let scale = 1 / Double(n)
                var first = n - 1  // first output of the current group
                while first < count {
                    // A group of at most 8 * 256 outputs, split into eight segments; the last
                    // one takes the remainder (at most 7 more).
                    let outputs = min(count - first, 8 * 256)
                    let length = outputs / 8
                    if length < 2 {
                        runSegment(xp, op, n: n, scale: scale, from: first, to: first + outputs)
                        break
                    }
                    let last = runEight(xp, op, n: n, scale: scale, first: first, length: length)
                    // The last segment's remainder.
                    runOn(xp, op, n: n, scale: scale, sum: last, from: first + 8 * length, to: first + outputs)
                    first += outputs
                }
            }
        }
    }

    /// Eight segments of `length` outputs from `first` on, side by side: each starts from
    /// its exact window sum, then adds the incoming value and subtracts the outgoing one.
    /// Eight scalar sums (not a vector: the segments' values are `length` apart, and
    /// gathering them into lanes cost more than the additions). Returns the last segment's
    /// final sum.
    @inline(__always)
    private static func runEight(
        _ xp: UnsafePointer<Double>,
        _ op: UnsafeMutablePointer<Double>,
        n: Int,
        scale: Double,
        first: Int,
        length: Int
    ) -> Double {
        // Segment k's input t is x_k[t], its outgoing value x_k[t - n], its output y_k[t].
        let x0 = xp + first
        let x1 = x0 + length
        let x2 = x1 + length
        let x3 = x2 + length
        let x4 = x3 + length
        let x5 = x4 + length
        let x6 = x5 + length
        let x7 = x6 + length
        let y0 = op + first
        let y1 = y0 + length
        let y2 = y1 + length
        let y3 = y2 + length
        let y4 = y3 + length
        let y5 = y4 + length
        let y6 = y5 + length
        let y7 = y6 + length
        var s0 = windowSum(xp, end: first, n)
        var s1 = windowSum(xp, end: first + length, n)
        var s2 = windowSum(xp, end: first + 2 * length, n)
        var s3 = windowSum(xp, end: first + 3 * length, n)
        var s4 = windowSum(xp, end: first + 4 * length, n)
        var s5 = windowSum(xp, end: first + 5 * length, n)
        var s6 = windowSum(xp, end: first + 6 * length, n)
        var s7 = windowSum(xp, end: first + 7 * length, n)
        var t = 0
        while true {
            y0[t] = s0 * scale
            y1[t] = s1 * scale
            y2[t] = s2 * scale
            y3[t] = s3 * scale
            y4[t] = s4 * scale
            y5[t] = s5 * scale
            y6[t] = s6 * scale
            y7[t] = s7 * scale
            t &+= 1
            if t >= length { break }
            s0 = s0 + x0[t] - x0[t &- n]
            s1 = s1 + x1[t] - x1[t &- n]
            s2 = s2 + x2[t] - x2[t &- n]
            s3 = s3 + x3[t] - x3[t &- n]
            s4 = s4 + x4[t] - x4[t &- n]
            s5 = s5 + x5[t] - x5[t &- n]
            s6 = s6 + x6[t] - x6[t &- n]
            s7 = s7 + x7[t] - x7[t &- n]
        }
        return s7
    }

    /// One segment on its own: an exact start, then the running sum.
    private static func runSegment(
        _ xp: UnsafePointer<Double>,
        _ op: UnsafeMutablePointer<Double>,
        n: Int,
        scale: Double,
        from: Int,
        to: Int
    ) {
        let sum = windowSum(xp, end: from, n)
        op[from] = sum * scale
        runOn(xp, op, n: n, scale: scale, sum: sum, from: from + 1, to: to)
    }

    /// Continues a running sum (`sum` is the window ending at `from - 1`) over `from..<to`.
    @inline(__always)
    private static func runOn(
        _ xp: UnsafePointer<Double>,
        _ op: UnsafeMutablePointer<Double>,
        n: Int,
        scale: Double,
        sum: Double,
        from: Int,
        to: Int
    ) {
        var sum = sum
        var o = from
        while o < to {
            sum = sum + xp[o] - xp[o - n]
            op[o] = sum * scale
            o += 1
        }
    }
}

extension Indicators {
    /// How two SMAs' exact values compare on every bar: `1` where `a > b`, `-1` where
    /// `a < b`, `0` where they are equal or either is undefined (NaN).
    ///
    /// The answers are those of the exact left-to-right SMAs (``Indicators/sma(_:_:)``): the
    /// running values decide wherever their gap exceeds twice the summed error bounds, and
    /// the exact values are computed for the rest. `a` crosses above `b` on bar `i` when
    /// `order[i - 1] < 0 && order[i] > 0`, as ``crossover(_:_:at:)``.
    ///
    /// ```swift
    /// let order = Indicators.order(RunningSMA(close, 10), RunningSMA(close, 30))
    /// let crossesUp = i >= 1 && order[i - 1] < 0 && order[i] > 0
    /// ```
    public static func order(_ a: RunningSMA, _ b: RunningSMA) -> [Int8] {
        let count = min(a.values.count, b.values.count)
        var out = [Int8](repeating: 0, count: count)
        // fl(x - y) is within a relative ulp of x - y, so twice the summed bounds is safe.
        let bound = 2 * (a.errorBound + b.errorBound)
        a.values.withUnsafeBufferPointer { ap in
            b.values.withUnsafeBufferPointer { bp in
                out.withUnsafeMutableBufferPointer { op in
                    // Branch-free over every bar, then the exact values where the running
                    // ones are too close to call (rare): those are among the bars left 0.
                    var i = 0
                    if let a = ap.baseAddress, let b = bp.baseAddress, let o = op.baseAddress {
                        // Eight bars at a time (four SSE2 registers each), one 8-byte store.
                        let above = SIMD8(repeating: bound)
                        let below = SIMD8(repeating: -bound)
                        let one = SIMD8<Int64>(repeating: 1)
                        let minusOne = SIMD8<Int64>(repeating: -1)
                        while i + 8 <= count {
                            let gap =
                                UnsafeRawPointer(a + i).loadUnaligned(as: SIMD8<Double>.self)
                                - UnsafeRawPointer(b + i).loadUnaligned(as: SIMD8<Double>.self)
                            var sign = SIMD8<Int64>(repeating: 0)
                            sign.replace(with: one, where: gap .> above)
                            sign.replace(with: minusOne, where: gap .< below)
                            let bytes = SIMD8<Int8>(truncatingIfNeeded: sign)
                            UnsafeMutableRawPointer(o + i).storeBytes(of: bytes, as: SIMD8<Int8>.self)
                            i += 8
                        }
                    }
                    while i < count {
                        let gap = ap[i] - bp[i]  // NaN when either is undefined
                        op[i] = gap > bound ? 1 : gap < -bound ? -1 : 0
                        i += 1
                    }
                    /// Bar `j` from the exact values when it was left 0 and its gap is within
                    /// the bounds.
                    func decideExactly(_ j: Int) {
                        guard op[j] == 0 else { return }
                        let gap = ap[j] - bp[j]
                        guard gap >= -bound && gap <= bound else { return }
                        let x = a.exact(at: j)
                        let y = b.exact(at: j)
                        op[j] = x > y ? 1 : x < y ? -1 : 0
                    }
                    // The bars left 0: undefined (NaN gap) or too close to call; eight at a
                    // time, skipping words without a zero byte.
                    var k = 0
                    if let o = op.baseAddress {
                        let raw = UnsafeRawPointer(o)
                        while k + 8 <= count {
                            let word = raw.loadUnaligned(fromByteOffset: k, as: UInt64.self)
                            if (word &- 0x0101_0101_0101_0101) & ~word & 0x8080_8080_8080_8080 == 0 {
                                k += 8
                                continue
                            }
                            for j in k..<(k + 8) { decideExactly(j) }
                            k += 8
                        }
                    }
                    while k < count {
                        decideExactly(k)
                        k += 1
                    }
                }
            }
        }
        return out
    }
}
