/// The central moments of one trial's returns over a sample, computed in two passes (the
/// mean, then the sums of powers of the deviations from it): per-period Sharpe ratio,
/// bias-corrected skewness and excess kurtosis as pandas' `skew()` and `kurt()`.
public struct SampleMoments: Sendable, Equatable, Codable {
    /// Number of returns.
    public var count: Int
    /// Their mean.
    public var mean: Double
    /// Σ(r − mean)².
    public var m2: Double
    /// Σ(r − mean)³.
    public var m3: Double
    /// Σ(r − mean)⁴.
    public var m4: Double

    /// The moments of `returns` (at least one).
    public init(_ returns: [Double]) {
        self = returns.withUnsafeBufferPointer { SampleMoments($0) }
    }

    /// The moments of the returns in `returns` (at least one).
    public init(_ returns: UnsafeBufferPointer<Double>) {
        count = returns.count
        var sum = 0.0
        for r in returns { sum += r }
        var mean = sum / Double(max(count, 1))
        // One correction pass: the sum's rounding error, measured and taken back.
        var residual = 0.0
        for r in returns { residual += r - mean }
        mean += residual / Double(max(count, 1))
        self.mean = mean
        var s2 = 0.0
        var s3 = 0.0
        var s4 = 0.0
        for r in returns {
            let d = r - mean
            let d2 = d * d
            s2 += d2
            s3 += d2 * d
            s4 += d2 * d2
        }
        m2 = s2
        m3 = s3
        m4 = s4
    }

    /// The sample variance (ddof = 1); 0 for fewer than 2 returns.
    public var variance: Double { count > 1 ? m2 / Double(count - 1) : 0 }

    /// The per-period Sharpe ratio mean / std (ddof = 1), not annualised; 0 when the
    /// returns do not vary.
    public var sharpe: Double {
        let v = variance
        return v > 0 ? mean / v.squareRoot() : 0
    }

    /// The bias-corrected sample skewness G₁ (pandas' `skew()`); 0 when the returns do not
    /// vary or there are fewer than 3.
    public var skewness: Double {
        let n = Double(count)
        guard count > 2, m2 > 0 else { return 0 }
        return (n * (n - 1).squareRoot() / (n - 2)) * (m3 / (m2 * m2.squareRoot()))
    }

    /// The bias-corrected sample excess kurtosis G₂ (pandas' `kurt()`); 0 when the returns
    /// do not vary or there are fewer than 4.
    public var excessKurtosis: Double {
        let n = Double(count)
        guard count > 3, m2 > 0 else { return 0 }
        let adjustment = 3 * (n - 1) * (n - 1) / ((n - 2) * (n - 3))
        let numerator = n * (n + 1) * (n - 1) * m4
        let denominator = (n - 2) * (n - 3) * m2 * m2
        return numerator / denominator - adjustment
    }
}
