import Foundation

/// Whether the best of a set of trials is skill or the luck of many draws: the Deflated
/// Sharpe Ratio of the best trial and the Probability of Backtest Overfitting of choosing it.
///
/// Conventions (pypbo's): per-period returns, per-period Sharpe ratio mean / std (ddof = 1),
/// not annualised. The best trial is the one with the highest Sharpe ratio over all its
/// periods (the first on ties), whatever objective chose a search's winner.
///
/// - ``psr`` = PSR(SR\*, 0): the probability that the best trial's true Sharpe ratio is above 0;
/// - ``dsr`` = PSR(SR\*, SR₀) with SR₀ = ``expectedMaxSharpe`` = std({SRⱼ}, ddof = 1) · E[max of
///   N standard normals]: the same probability against the best Sharpe ratio that N trials
///   without skill would be expected to reach;
/// - ``crossValidation``: PBO, the probability of a loss out of sample and the degradation, by
///   CSCV (see ``OverfittingEstimate``).
///
/// PSR and DSR use the best trial's skewness and kurtosis (pandas' `skew()` and
/// `kurt() + 3`) and T = all its periods (the CSCV's dropped ones included): its
/// ``SampleMoments``, which the caller computes from that trial's returns.
public struct RobustnessReport: Sendable, Equatable, Codable {
    /// N.
    public var trials: Int
    /// T.
    public var periods: Int
    /// S.
    public var blocks: Int
    /// The best trial's index (by full-sample Sharpe ratio).
    public var bestTrial: Int
    /// Its Sharpe ratio SR\*.
    public var sharpe: Double
    /// std({SRⱼ}, ddof = 1) over the trials.
    public var sharpeStd: Double
    /// SR₀ = ``sharpeStd`` · E[max].
    public var expectedMaxSharpe: Double
    /// PSR(SR\*, 0); `nil` when undefined (see ``DeflatedSharpe/probabilisticSharpe(sharpe:benchmark:periods:skewness:kurtosis:)``).
    public var psr: Double?
    /// PSR(SR\*, SR₀); `nil` when undefined.
    public var dsr: Double?
    /// CSCV's estimate.
    public var crossValidation: OverfittingEstimate

    /// The report for `statistics`; `bestMoments` are the full-sample moments of trial
    /// `statistics.bestTrial` (all its periods: the block statistics keep no skewness or
    /// kurtosis, so the caller computes them from that one trial's returns).
    ///
    /// - Throws: `too_few_trials` below 2 trials; `length_mismatch` when `bestMoments` are not
    ///   over the layout's periods.
    public init(
        _ statistics: TrialBlockStatistics,
        bestMoments: SampleMoments,
        concurrency: Int = ProcessInfo.processInfo.activeProcessorCount
    ) throws(ResearchError) {
        guard bestMoments.count == statistics.layout.periods else {
            throw ResearchError(
                code: .lengthMismatch,
                message: "the best trial's moments are over \(bestMoments.count) periods, not \(statistics.layout.periods)"
            )
        }
        crossValidation = try OverfittingEstimate(statistics, concurrency: concurrency)
        trials = statistics.trialCount
        periods = statistics.layout.periods
        blocks = statistics.layout.blocks
        let sharpes = statistics.totals.map(\.sharpe)
        let best = statistics.bestTrial
        bestTrial = best
        sharpe = sharpes[best]
        let mean = sharpes.reduce(0, +) / Double(trials)
        sharpeStd = (sharpes.reduce(0) { $0 + ($1 - mean) * ($1 - mean) } / Double(trials - 1)).squareRoot()
        expectedMaxSharpe = sharpeStd * (DeflatedSharpe.expectedMaximum(trials: trials) ?? 0)
        psr = Self.psr(bestMoments, benchmark: 0)
        dsr = Self.psr(bestMoments, benchmark: expectedMaxSharpe)
    }

    /// PSR of a trial's moments against `benchmark`.
    public static func psr(_ moments: SampleMoments, benchmark: Double) -> Double? {
        DeflatedSharpe.probabilisticSharpe(
            sharpe: moments.sharpe,
            benchmark: benchmark,
            periods: moments.count,
            skewness: moments.skewness,
            kurtosis: moments.excessKurtosis + 3
        )
    }

    /// CSCV splits.
    public var combinations: Int { crossValidation.combinations }
    /// The Probability of Backtest Overfitting.
    public var pbo: Double { crossValidation.pbo }
    /// The probability that the in-sample best loses out of sample.
    public var probOOSLoss: Double { crossValidation.probOOSLoss }
    /// Out-of-sample against in-sample Sharpe ratio of the in-sample best.
    public var degradation: LeastSquaresLine { crossValidation.degradation }
}
