import CReturnSums

/// The count, mean and Σ(r − mean)² of some returns: enough for their per-period Sharpe ratio,
/// and mergeable (Chan's formula), so a trial's full sample is its blocks' summaries combined.
/// (Skewness and kurtosis need ``SampleMoments``, computed only for the trials PSR needs.)
///
/// The fast initialisers make one vectorised pass of Σr and Σr² (the shift 0) and take
/// M2 = Σr² − (Σr)²/n; that loses digits only when the returns sit far from 0 relative to their
/// spread (Σr² much larger than M2), and then, when Σr² > ``cancellationLimit`` · M2, the
/// block is computed again in two passes (the mean, then the deviations from it, corrected):
/// either way the Sharpe ratio stays within 1e-9 of the two-pass value.
///
/// Read from an equity curve (``init(returnsOf:range:)``), the pass takes four periods at a
/// time: four periods of a flat curve (no position) have returns of exactly 0 and are skipped,
/// and the others divide once for four: with a = e[i]·e[i + 2] and b = e[i + 1]·e[i + 3],
/// 1/e[i] = e[i + 2]/a, 1/e[i + 2] = e[i]/a (and so for b), and the return is
/// (e[i + 1] − e[i])·(1/e[i]), within about 3 ulp of its own value. (Both paths take the
/// difference first: e[i + 1]/e[i] − 1 is only within 1 ulp of 1, which is 3·10⁻¹¹ of a
/// return of 3·10⁻⁶.) On a CPU with AVX the groups run in 256-bit registers (``ReturnPass``),
/// with the same operations lane for lane and the same bits.
public struct SampleSummary: Sendable, Equatable, Codable {
    /// Number of returns.
    public var count: Int
    /// Their mean.
    public var mean: Double
    /// Σ(r − mean)².
    public var m2: Double

    /// A summary from its parts.
    public init(count: Int, mean: Double, m2: Double) {
        self.count = count
        self.mean = mean
        self.m2 = m2
    }

    /// Above this ratio Σr²/M2 the one-pass M2 is recomputed in two passes: its relative error
    /// is at most about 3·n·ε·ratio, so 16 keeps it below 1e-10 for blocks of up to 10⁴ periods.
    public static let cancellationLimit = 16.0

    /// The sample variance (ddof = 1); 0 for fewer than 2 returns.
    public var variance: Double { count > 1 ? m2 / Double(count - 1) : 0 }

    /// The per-period Sharpe ratio mean / std (ddof = 1), not annualised; 0 when the returns
    /// do not vary.
    public var sharpe: Double {
        let v = variance
        return v > 0 ? mean / v.squareRoot() : 0
    }

    /// Whether the mean and M2 are finite numbers (a NaN or infinite return makes them not).
    public var isFinite: Bool { mean.isFinite && m2.isFinite }

    /// The summary of `returns` (at least one).
    public init(returns: UnsafeBufferPointer<Double>) {
        let n = returns.count
        guard let base = returns.baseAddress, n > 0 else {
            self.init(count: 0, mean: 0, m2: 0)
            return
        }
        let (s1, s2) = Self.sums(base, n)
        self.init(count: n, s1: s1, s2: s2) { Self.twoPass(n) { base[$0] } }
    }

    /// The summary of the bar-to-bar returns `(equity[i + 1] − equity[i]) / equity[i]` for i in `range`
    /// (0 where `equity[i]` is not positive, after a ruin), read straight from the curve.
    /// `equity` must hold the index `range.upperBound`.
    public init(returnsOf equity: UnsafeBufferPointer<Double>, range: Range<Int>) {
        self.init(returnsOf: equity, range: range, pass: .fastest)
    }

    /// ``init(returnsOf:range:)`` through the given pass (the tests hold the two to the same bits).
    init(returnsOf equity: UnsafeBufferPointer<Double>, range: Range<Int>, pass: ReturnPass) {
        let n = range.count
        guard let base = equity.baseAddress, n > 0, range.lowerBound >= 0, range.upperBound < equity.count else {
            self.init(count: 0, mean: 0, m2: 0)
            return
        }
        let start = base + range.lowerBound
        let (s1, s2, inRange) = Self.returnSums(start, n, pass: pass)
        let exact: () -> SampleSummary = {
            Self.twoPass(n) { i in start[i] > 0 ? (start[i + 1] - start[i]) / start[i] : 0 }
        }
        // A curve at or below 0 (ruin) needs the per-period rule, which the vector pass does not
        // apply, and one beyond ``smallestFastDivisor`` or ``largestFastProduct`` the exact quotients.
        guard inRange else {
            self = exact()
            return
        }
        self.init(count: n, s1: s1, s2: s2, exact: exact)
    }

    /// The smallest equity the fast pass of ``init(returnsOf:range:)`` divides by (below it, a
    /// ruin among them, the exact path is taken).
    public static let smallestFastDivisor = 0x1p-400
    /// The largest product of two equities the fast pass pairs: with both at least
    /// ``smallestFastDivisor``, the product, its reciprocal and each value's reciprocal are
    /// normal numbers (none above 2⁸⁰⁰ or below 2⁻¹⁰⁰⁰).
    public static let largestFastProduct = 0x1p600

    /// The one-pass summary from Σr and Σr², or `exact()` when they cancel.
    private init(count n: Int, s1: Double, s2: Double, exact: () -> SampleSummary) {
        let mean = s1 / Double(n)
        let m2 = s2 - s1 * mean
        if s2 <= Self.cancellationLimit * m2 || s2 == 0 {
            self.init(count: n, mean: mean, m2: m2)
        } else {
            self = exact()
        }
    }

    /// `parts` merged: the summary of all their returns (Chan's formula).
    public init(merging parts: some Collection<SampleSummary>) {
        var count = 0
        var sum = 0.0
        for part in parts {
            count += part.count
            sum += Double(part.count) * part.mean
        }
        let mean = count > 0 ? sum / Double(count) : 0
        var m2 = 0.0
        for part in parts {
            let d = part.mean - mean
            m2 += part.m2 + Double(part.count) * d * d
        }
        self.init(count: count, mean: mean, m2: m2)
    }

    /// Two passes over `value(0..<n)`: the mean (with one correction pass for the sum's
    /// rounding), then Σ(r − mean)² corrected by (Σ(r − mean))²/n.
    private static func twoPass(_ n: Int, _ value: (Int) -> Double) -> SampleSummary {
        var sum = 0.0
        for i in 0..<n { sum += value(i) }
        var mean = sum / Double(n)
        var residual = 0.0
        var squares = 0.0
        for i in 0..<n {
            let d = value(i) - mean
            residual += d
            squares += d * d
        }
        let m2 = squares - residual * residual / Double(n)
        mean += residual / Double(n)
        return SampleSummary(count: n, mean: mean, m2: max(0, m2))
    }

    /// Σr and Σr² of `values[0..<n]`, two lanes of two accumulators each.
    @inline(__always)
    private static func sums(_ values: UnsafePointer<Double>, _ n: Int) -> (Double, Double) {
        let raw = UnsafeRawPointer(values)
        var a1 = SIMD2<Double>.zero
        var b1 = SIMD2<Double>.zero
        var a2 = SIMD2<Double>.zero
        var b2 = SIMD2<Double>.zero
        var i = 0
        while i + 4 <= n {
            let r0 = raw.loadUnaligned(fromByteOffset: i &* 8, as: SIMD2<Double>.self)
            let r1 = raw.loadUnaligned(fromByteOffset: (i &+ 2) &* 8, as: SIMD2<Double>.self)
            a1 += r0
            b1 += r1
            a2 += r0 * r0
            b2 += r1 * r1
            i &+= 4
        }
        var s1 = (a1 + b1).sum()
        var s2 = (a2 + b2).sum()
        while i < n {
            let r = values[i]
            s1 += r
            s2 += r * r
            i &+= 1
        }
        return (s1, s2)
    }

    /// Σr and Σr² of the returns `(e[i + 1] − e[i]) / e[i]`, i in 0..<n (as described on the
    /// type: flat groups of four skipped, one division for four reciprocals), and whether every
    /// e[i] divided by is at least ``smallestFastDivisor`` and every product of two paired (or
    /// of one with itself, in the scalar tail) at most ``largestFastProduct``; when not, the
    /// caller takes the exact path. A flat period's return is 0 whatever its equity.
    @inline(__always)
    private static func returnSums(_ e: UnsafePointer<Double>, _ n: Int, pass: ReturnPass) -> (Double, Double, Bool) {
        var groups = pass == .avx && ReturnPass.avxAvailable ? ReturnPass.avxGroups(e, n) : portableGroups(e, n)
        while groups.next < n {
            let p = e[groups.next]
            let c = e[groups.next &+ 1]
            groups.next &+= 1
            guard c != p else { continue }
            let r = (c - p) / p
            groups.sum += r
            groups.sumOfSquares += r * r
            groups.lowest = min(groups.lowest, p)
            groups.highest = max(groups.highest, p * p)
        }
        // A NaN in the curve is neither low nor high: it shows in the sums instead.
        return (groups.sum, groups.sumOfSquares, groups.lowest >= smallestFastDivisor && groups.highest <= largestFastProduct)
    }

    /// The groups of four of ``returnSums(_:_:pass:)`` in SIMD2 registers (any CPU).
    @inline(__always)
    private static func portableGroups(_ e: UnsafePointer<Double>, _ n: Int) -> BTReturnSums {
        let raw = UnsafeRawPointer(e)
        let one = SIMD2<Double>(repeating: 1)
        var a1 = SIMD2<Double>.zero
        var b1 = SIMD2<Double>.zero
        var a2 = SIMD2<Double>.zero
        var b2 = SIMD2<Double>.zero
        var low = SIMD2<Double>(repeating: .infinity)
        var high = SIMD2<Double>(repeating: -.infinity)
        var i = 0
        while i &+ 4 <= n {
            let p0 = raw.loadUnaligned(fromByteOffset: i &* 8, as: SIMD2<Double>.self)
            let c0 = raw.loadUnaligned(fromByteOffset: (i &+ 1) &* 8, as: SIMD2<Double>.self)
            let p1 = raw.loadUnaligned(fromByteOffset: (i &+ 2) &* 8, as: SIMD2<Double>.self)
            let c1 = raw.loadUnaligned(fromByteOffset: (i &+ 3) &* 8, as: SIMD2<Double>.self)
            i &+= 4
            let d0 = c0 - p0
            let d1 = c1 - p1
            // Flat: four differences of exactly +0 (x − x is +0; a NaN is not 0 and flows on).
            let bits = unsafeBitCast(d0, to: SIMD2<UInt64>.self) | unsafeBitCast(d1, to: SIMD2<UInt64>.self)
            if bits[0] | bits[1] == 0 { continue }
            let product = p0 * p1
            let inverse = one / product
            let r0 = d0 * (inverse * p1)
            let r1 = d1 * (inverse * p0)
            a1 += r0
            b1 += r1
            a2 += r0 * r0
            b2 += r1 * r1
            // Written as selections (not pointwiseMin/Max), so they compile to minpd/maxpd.
            let lower = p0.replacing(with: p1, where: p1 .< p0)
            low = low.replacing(with: lower, where: lower .< low)
            high = high.replacing(with: product, where: product .> high)
        }
        return BTReturnSums(sum: (a1 + b1).sum(), sumOfSquares: (a2 + b2).sum(), lowest: low.min(), highest: high.max(), next: i)
    }
}
