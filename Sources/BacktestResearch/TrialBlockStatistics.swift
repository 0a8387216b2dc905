/// The sufficient statistics of a set of trials over the same ``BlockLayout``: for every
/// trial and block the block's mean and Σ(r − mean)², and the trial's full-sample
/// ``SampleSummary`` (all periods, none dropped: its blocks' and the dropped head's merged).
/// Memory is 2·S + 3 numbers per trial, whatever the number of periods. Skewness and kurtosis
/// are not kept: PSR needs them for one or two trials, which the caller computes from their
/// returns (``RobustnessReport/init(_:bestMoments:concurrency:)``).
///
/// Units of a search that run on different workers each build the statistics of their own
/// trials; ``merge(_:)`` appends another unit's trials, so the merged value is the same as if
/// one worker had appended every trial in that order.
///
/// ```swift
/// var statistics = TrialBlockStatistics(layout: try BlockLayout(periods: 2520, blocks: 16))
/// for column in columns { try statistics.append(returns: column) }
/// let best = SampleMoments(columns[statistics.bestTrial])
/// let report = try RobustnessReport(statistics, bestMoments: best)
/// ```
public struct TrialBlockStatistics: Sendable, Equatable, Codable {
    /// The periods and blocks every trial shares.
    public let layout: BlockLayout
    /// Block means, trial-major: trial j's block b is at `j · S + b`.
    public private(set) var blockMeans: [Double] = []
    /// Block sums of squared deviations from the block mean, laid out as ``blockMeans``.
    public private(set) var blockDeviations: [Double] = []
    /// Each trial's count, mean and M2 over all its periods.
    public private(set) var totals: [SampleSummary] = []

    /// No trials yet.
    public init(layout: BlockLayout) {
        self.layout = layout
    }

    private enum CodingKeys: String, CodingKey {
        case layout, blockMeans, blockDeviations
        // The key of units stored before the full-sample skewness and kurtosis were dropped:
        // their extra m3 and m4 are ignored.
        case totals = "moments"
    }

    /// The number of trials.
    public var trialCount: Int { totals.count }

    /// Reserves room for `trials` more trials.
    public mutating func reserveCapacity(trials: Int) {
        blockMeans.reserveCapacity(blockMeans.count + trials * layout.blocks)
        blockDeviations.reserveCapacity(blockDeviations.count + trials * layout.blocks)
        totals.reserveCapacity(totals.count + trials)
    }

    /// The trial with the best full-sample Sharpe ratio (the first of equal ones); 0 without
    /// trials.
    public var bestTrial: Int {
        var best = 0
        var value = totals.first?.sharpe ?? 0
        for (j, total) in totals.enumerated() where total.sharpe > value {
            best = j
            value = total.sharpe
        }
        return best
    }

    /// Adds a trial: its `layout.periods` returns in time order.
    ///
    /// - Throws: `length_mismatch` or `non_finite_return` (naming the period).
    public mutating func append(returns: [Double]) throws(ResearchError) {
        guard returns.count == layout.periods else {
            throw ResearchError(
                code: .lengthMismatch,
                message: "trial \(trialCount + 1) has \(returns.count) returns, not \(layout.periods)"
            )
        }
        if let bad = returns.firstIndex(where: { !$0.isFinite }) {
            throw ResearchError(
                code: .nonFiniteReturn,
                message: "trial \(trialCount + 1): the return of period \(bad + 1) is \(returns[bad]), not a finite number"
            )
        }
        let ranges = layout.ranges
        _ = returns.withUnsafeBufferPointer { values in
            add { parts in
                for (k, range) in ranges.enumerated() {
                    parts[k] = SampleSummary(returns: UnsafeBufferPointer(rebasing: values[range]))
                }
            }
        }
    }

    /// Adds a trial from its equity curve (`layout.periods + 1` values): its returns are
    /// `(equity[i + 1] − equity[i]) / equity[i]` (0 where `equity[i]` is not positive), read
    /// straight from the curve without building them (``SampleSummary/init(returnsOf:range:)``).
    ///
    /// - Throws: `length_mismatch`, or `non_finite_return` when the curve holds a value that
    ///   is not a finite number.
    public mutating func append(equity: [Double]) throws(ResearchError) {
        guard equity.count == layout.periods + 1 else {
            throw ResearchError(
                code: .lengthMismatch,
                message: "trial \(trialCount + 1) has \(max(0, equity.count - 1)) returns, not \(layout.periods)"
            )
        }
        let (dropped, length) = (layout.dropped, layout.blockLength)
        let added = equity.withUnsafeBufferPointer { curve in
            add { parts in
                withUnsafeTemporaryAllocation(of: Int.self, capacity: parts.count + 1) { bounds in
                    bounds[0] = 0
                    for k in 0..<parts.count { bounds[k + 1] = dropped + k * length }
                    SampleSummary.summaries(returnsOf: curve, bounds: UnsafeBufferPointer(bounds), into: parts)
                }
            }
        }
        guard added else {
            throw ResearchError(code: .nonFiniteReturn, message: "trial \(trialCount + 1): a return of its equity is not a finite number")
        }
    }

    /// Adds the trial whose summaries `fill` writes: the dropped head's first (empty when
    /// nothing is dropped), then each block's, in ``BlockLayout/ranges`` order; `false`
    /// (nothing added) when one is not finite.
    private mutating func add(_ fill: (UnsafeMutableBufferPointer<SampleSummary>) -> Void) -> Bool {
        let blocks = layout.blocks
        return withUnsafeTemporaryAllocation(of: SampleSummary.self, capacity: blocks + 1) { parts in
            parts.initialize(repeating: SampleSummary(count: 0, mean: 0, m2: 0))
            fill(parts)
            for part in parts where !part.isFinite { return false }
            for b in 1...blocks {
                blockMeans.append(parts[b].mean)
                blockDeviations.append(parts[b].m2)
            }
            // An empty head adds exact zeros: the same total as the blocks' alone.
            totals.append(SampleSummary(merging: parts))
            return true
        }
    }

    /// Appends `other`'s trials after this one's.
    ///
    /// - Throws: `layout_mismatch` when the two were built over different periods or blocks.
    public mutating func merge(_ other: TrialBlockStatistics) throws(ResearchError) {
        guard other.layout == layout else {
            throw ResearchError(
                code: .layoutMismatch,
                message: "cannot merge statistics over \(other.layout.periods) periods in \(other.layout.blocks) blocks "
                    + "into statistics over \(layout.periods) periods in \(layout.blocks) blocks"
            )
        }
        blockMeans += other.blockMeans
        blockDeviations += other.blockDeviations
        totals += other.totals
    }

    /// Trial `trial`'s per-period Sharpe ratio over the union of `blocks` (merged with Chan's
    /// formula for equal counts); 0 when the returns there do not vary.
    public func sharpe(ofTrial trial: Int, overBlocks blocks: some Collection<Int>) -> Double {
        let base = trial * layout.blocks
        let k = Double(blocks.count)
        var mean = 0.0
        for b in blocks { mean += blockMeans[base + b] }
        mean /= k
        var m2 = 0.0
        for b in blocks {
            let d = blockMeans[base + b] - mean
            m2 += blockDeviations[base + b] + Double(layout.blockLength) * d * d
        }
        let count = Double(layout.blockLength) * k
        let variance = count > 1 ? m2 / (count - 1) : 0
        return variance > 0 ? mean / variance.squareRoot() : 0
    }
}
