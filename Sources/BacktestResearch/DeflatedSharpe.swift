import Foundation

/// The Probabilistic and Deflated Sharpe Ratios (Bailey and López de Prado 2012, 2014), with
/// pypbo's conventions: per-period Sharpe ratios, T the number of returns.
public enum DeflatedSharpe {
    /// The Euler–Mascheroni constant γ.
    public static let eulerGamma = 0.577_215_664_901_532_860_6

    /// PSR(SR\*, SR₀) = Φ((SR\* − SR₀)·√(T − 1) / √(1 − γ₃·SR\* + (γ₄ − 1)/4·SR\*²)): the
    /// probability that the true Sharpe ratio exceeds `benchmark`, given `sharpe` measured
    /// over `periods` returns with skewness γ₃ and (non-excess) kurtosis γ₄.
    ///
    /// `nil` when the variance term under the root is not positive (sample moments so
    /// extreme that the estimate's variance is undefined) or `periods` is below 2.
    public static func probabilisticSharpe(
        sharpe: Double,
        benchmark: Double,
        periods: Int,
        skewness: Double,
        kurtosis: Double
    ) -> Double? {
        let variance = 1 - skewness * sharpe + (kurtosis - 1) / 4 * sharpe * sharpe
        guard periods > 1, variance > 0, variance.isFinite else { return nil }
        return NormalDistribution.cdf((sharpe - benchmark) * Double(periods - 1).squareRoot() / variance.squareRoot())
    }

    /// E[max] of `trials` independent standard normals, approximated as
    /// (1 − γ)·Φ⁻¹(1 − 1/N) + γ·Φ⁻¹(1 − 1/(N·e)); `nil` below 2 trials.
    public static func expectedMaximum(trials: Int) -> Double? {
        guard trials >= 2 else { return nil }
        let n = Double(trials)
        guard let first = NormalDistribution.quantile(1 - 1 / n), let second = NormalDistribution.quantile(1 - 1 / (n * M_E)) else {
            return nil
        }
        return (1 - eulerGamma) * first + eulerGamma * second
    }
}
