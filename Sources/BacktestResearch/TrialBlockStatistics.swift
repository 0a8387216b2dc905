/// The sufficient statistics of a set of trials over the same ``BlockLayout``: for every
/// trial and block the block's mean and Σ(r − mean)², and the trial's full-sample
/// ``SampleMoments`` (all periods, none dropped). Memory is 2·S + 5 numbers per trial,
/// whatever the number of periods.
///
/// Units of a search that run on different workers each build the statistics of their own
/// trials; ``merge(_:)`` appends another unit's trials, so the merged value is the same as if
/// one worker had appended every trial in that order.
///
/// ```swift
/// var statistics = TrialBlockStatistics(layout: try BlockLayout(periods: 2520, blocks: 16))
/// for column in columns { try statistics.append(returns: column) }
/// let report = try RobustnessReport(statistics)
/// ```
public struct TrialBlockStatistics: Sendable, Equatable, Codable {
    /// The periods and blocks every trial shares.
    public let layout: BlockLayout
    /// Block means, trial-major: trial j's block b is at `j · S + b`.
    public private(set) var blockMeans: [Double] = []
    /// Block sums of squared deviations from the block mean, laid out as ``blockMeans``.
    public private(set) var blockDeviations: [Double] = []
    /// Each trial's moments over all its periods.
    public private(set) var moments: [SampleMoments] = []

    /// No trials yet.
    public init(layout: BlockLayout) {
        self.layout = layout
    }

    /// The number of trials.
    public var trialCount: Int { moments.count }

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
        returns.withUnsafeBufferPointer { values in
            for b in 0..<layout.blocks {
                let range = layout.range(ofBlock: b)
                let block = SampleMoments(UnsafeBufferPointer(rebasing: values[range]))
                blockMeans.append(block.mean)
                blockDeviations.append(block.m2)
            }
            moments.append(SampleMoments(values))
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
        moments += other.moments
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
