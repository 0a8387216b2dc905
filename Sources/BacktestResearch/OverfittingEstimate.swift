import Foundation

/// The Probability of Backtest Overfitting estimated by Combinatorially Symmetric
/// Cross-Validation (Bailey, Borwein, López de Prado and Zhu 2015), with pypbo's conventions.
///
/// For every way of choosing S/2 of the S blocks (in `itertools.combinations` order), the
/// chosen blocks (in time order) are the in-sample set and the others the out-of-sample set.
/// n\* is the trial with the highest in-sample per-period Sharpe ratio (the first on ties);
/// its out-of-sample rank among the N trials is the average rank (ties share the mean of
/// their positions, as `scipy.stats.rankdata`), ω̄ = rank / (N + 1) and the logit
/// λ = ln(ω̄ / (1 − ω̄)). A Sharpe ratio of returns that do not vary is 0.
///
/// - ``pbo``: the share of splits with λ ≤ 0, i.e. where the in-sample best is at or below
///   the median out of sample;
/// - ``probOOSLoss``: the share of splits where n\*'s out-of-sample Sharpe ratio is below 0;
/// - ``degradation``: the least-squares line of n\*'s out-of-sample against its in-sample
///   Sharpe ratio.
///
/// The computation reads only the ``TrialBlockStatistics``: each trial's returns are shifted
/// by their mean over the CSCV periods, so the sums it adds stay small and the Sharpe ratio of
/// any union of blocks is within about 1e-13 (relative) of the two-pass value.
public struct OverfittingEstimate: Sendable, Equatable, Codable {
    /// C(S, S/2): the number of splits.
    public var combinations: Int
    /// The share of splits whose logit is ≤ 0.
    public var pbo: Double
    /// The share of splits where n\* loses out of sample (Sharpe ratio < 0).
    public var probOOSLoss: Double
    /// Out-of-sample against in-sample Sharpe ratio of n\*, by least squares.
    public var degradation: LeastSquaresLine
    /// Per split, in combination order: λ.
    public var logits: [Double]
    /// Per split: n\* (a trial index).
    public var selectedTrials: [Int]
    /// Per split: n\*'s in-sample Sharpe ratio.
    public var inSampleSharpe: [Double]
    /// Per split: n\*'s out-of-sample Sharpe ratio.
    public var outOfSampleSharpe: [Double]

    /// Runs CSCV over `statistics` on up to `concurrency` threads (the result does not depend
    /// on it).
    ///
    /// - Throws: `too_few_trials` below 2 trials.
    public init(_ statistics: TrialBlockStatistics, concurrency: Int = ProcessInfo.processInfo.activeProcessorCount) throws(ResearchError) {
        let trials = statistics.trialCount
        guard trials >= 2 else {
            throw ResearchError(code: .tooFewTrials, message: "CSCV needs at least 2 trials; there \(trials == 1 ? "is 1" : "are \(trials)")")
        }
        let kernel = CrossValidationKernel(statistics)
        let splits = kernel.run(concurrency: concurrency)
        combinations = splits.count
        var overfit = 0
        var losses = 0
        logits = []
        logits.reserveCapacity(splits.count)
        for split in splits {
            // ω̄ ≤ 1/2 ⇔ 2·rank ≤ N + 1, decided on the exact half-integer rank.
            if 2 * split.rank <= Double(trials + 1) { overfit += 1 }
            if split.outOfSampleSharpe < 0 { losses += 1 }
            let omega = split.rank / Double(trials + 1)
            logits.append(log(omega / (1 - omega)))
        }
        pbo = Double(overfit) / Double(splits.count)
        probOOSLoss = Double(losses) / Double(splits.count)
        selectedTrials = splits.map(\.selected)
        inSampleSharpe = splits.map(\.inSampleSharpe)
        outOfSampleSharpe = splits.map(\.outOfSampleSharpe)
        degradation = LeastSquaresLine(x: inSampleSharpe, y: outOfSampleSharpe)
    }

    /// The splits in `itertools.combinations(range(blocks), blocks / 2)` order: each the
    /// in-sample blocks, ascending.
    public static func splits(blocks: Int) -> [[Int]] {
        let half = blocks / 2
        guard half > 0 else { return [] }
        var result: [[Int]] = []
        var current = Array(0..<half)
        while true {
            result.append(current)
            var i = half - 1
            while i >= 0 && current[i] == blocks - half + i { i -= 1 }
            if i < 0 { return result }
            current[i] += 1
            for k in (i + 1)..<half { current[k] = current[k - 1] + 1 }
        }
    }
}
