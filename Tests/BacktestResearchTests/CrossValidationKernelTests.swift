import Testing

@testable import BacktestResearch

@Suite("the CSCV kernel")
struct CrossValidationKernelTests {
    /// The kernel reads split k's out-of-sample set as split C − 1 − k's in-sample set: in
    /// `itertools.combinations` order the two are complements, for every even S it takes.
    @Test(arguments: [2, 4, 6, 8, 10, 12, 14, 16])
    func theComplementOfSplitKIsSplitCMinusOneMinusK(_ blocks: Int) {
        let splits = OverfittingEstimate.splits(blocks: blocks)
        for (k, split) in splits.enumerated() {
            let complement = (0..<blocks).filter { !split.contains($0) }
            #expect(splits[splits.count - 1 - k] == complement, "S = \(blocks), split \(k)")
        }
    }

    /// Keeping the first pass's order values (a scan for the ranks) and computing them again
    /// give the same splits, bit for bit: one tile or several, two trials tied in and out of
    /// sample (a column with a drift, selected in most splits, and its copy), a trial that never
    /// varies.
    @Test(arguments: [1, 7])
    func keptAndRecomputedOrdersGiveTheSameSplits(_ concurrency: Int) throws {
        var columns = SyntheticReturns.columns(periods: 300, trials: 200, seed: 12)
        columns[3] = columns[3].map { $0 + 0.004 }
        columns[150] = columns[3]
        columns[90] = [Double](repeating: 0.001, count: 300)
        var statistics = TrialBlockStatistics(layout: try BlockLayout(periods: 300, blocks: 10))
        for column in columns { try statistics.append(returns: column) }
        let kernel = CrossValidationKernel(statistics)
        let kept = kernel.run(concurrency: concurrency, storedOrderLimit: .max)
        let recomputed = kernel.run(concurrency: concurrency, storedOrderLimit: 0)
        #expect(kept.count == 252)
        #expect(kept == recomputed)
        // The first of the two copies is n*, and its tie with the other counts half: ranks of
        // a whole number and a half.
        let selected = kept.filter { $0.selected == 3 }
        #expect(selected.count > 126 && !kept.contains { $0.selected == 150 })
        #expect(selected.allSatisfy { $0.rank - $0.rank.rounded(.down) == 0.5 })
    }
}
