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
/// and the others divide, each return (e[i + 1] − e[i]) / e[i] exactly as the per-period
/// definition does (the difference first: e[i + 1]/e[i] − 1 is only within 1 ulp of 1, which is
/// 3·10⁻¹¹ of a return of 3·10⁻⁶). Only the order of the sums differs from a plain loop. On a
/// CPU with AVX the groups run in 256-bit registers (``ReturnPass``), with the same operations
/// lane for lane and the same bits.
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
        guard !range.isEmpty, range.lowerBound >= 0, range.upperBound < equity.count else {
            self.init(count: 0, mean: 0, m2: 0)
            return
        }
        var summary = SampleSummary(count: 0, mean: 0, m2: 0)
        withUnsafeTemporaryAllocation(of: Int.self, capacity: 2) { bounds in
            bounds[0] = range.lowerBound
            bounds[1] = range.upperBound
            withUnsafeMutablePointer(to: &summary) { out in
                let one = UnsafeMutableBufferPointer(start: out, count: 1)
                Self.summaries(returnsOf: equity, bounds: UnsafeBufferPointer(bounds), into: one, pass: pass)
            }
        }
        self = summary
    }

    /// The summaries of the returns of `equity` over the consecutive ranges
    /// `bounds[k]..<bounds[k + 1]`, into `out[k]`, in one call of the vector pass (a search reads
    /// each trial's blocks this way). `bounds` holds `out.count + 1` non-negative, non-decreasing
    /// offsets, and `equity` the value at the last one; otherwise every summary is empty.
    static func summaries(
        returnsOf equity: UnsafeBufferPointer<Double>,
        bounds: UnsafeBufferPointer<Int>,
        into out: UnsafeMutableBufferPointer<SampleSummary>,
        pass: ReturnPass = .fastest
    ) {
        let ranges = out.count
        guard let base = equity.baseAddress, bounds.count == ranges + 1, let first = bounds.first, let last = bounds.last,
            first >= 0, last < equity.count, (0..<ranges).allSatisfy({ bounds[$0] <= bounds[$0 + 1] })
        else {
            for k in 0..<ranges { out[k] = SampleSummary(count: 0, mean: 0, m2: 0) }
            return
        }
        withUnsafeTemporaryAllocation(of: BTRangeSums.self, capacity: ranges) { sums in
            pass.sums(of: base, bounds: bounds, into: sums)
            for k in 0..<ranges {
                let start = base + bounds[k]
                let n = bounds[k + 1] - bounds[k]
                // Every return the pass divided is then the per-period return itself; a curve at
                // or below 0 (ruin) needs the per-period rule, which the vector pass does not apply.
                if n > 0, sums[k].lowest > 0 {
                    out[k] = SampleSummary(count: n, s1: sums[k].sum, s2: sums[k].sumOfSquares) { Self.exact(returnsOf: start, n) }
                } else {
                    out[k] = n > 0 ? Self.exact(returnsOf: start, n) : SampleSummary(count: 0, mean: 0, m2: 0)
                }
            }
        }
    }

    /// The two-pass summary of the returns of `start[0...n]`, period by period (0 after a ruin).
    private static func exact(returnsOf start: UnsafePointer<Double>, _ n: Int) -> SampleSummary {
        twoPass(n) { i in start[i] > 0 ? (start[i + 1] - start[i]) / start[i] : 0 }
    }

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
}
