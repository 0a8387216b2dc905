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

    /// Every split's n\* and rank are those of a direct scan of its trials (the in-sample best,
    /// the first of equal ones; its out-of-sample rank with ties sharing their mean position),
    /// whatever the number of threads walking the splits: two trials tied in and out of sample (a
    /// column with a drift, selected in most splits, and its copy), a trial that never varies.
    @Test(arguments: [1, 2, 7, 200])
    func eachSplitIsItsDirectScanOnAnyThreads(_ concurrency: Int) throws {
        var columns = SyntheticReturns.columns(periods: 300, trials: 200, seed: 12)
        columns[3] = columns[3].map { $0 + 0.004 }
        columns[150] = columns[3]
        columns[90] = [Double](repeating: 0.001, count: 300)
        var statistics = TrialBlockStatistics(layout: try BlockLayout(periods: 300, blocks: 10))
        for column in columns { try statistics.append(returns: column) }
        let kernel = CrossValidationKernel(statistics)
        let splits = kernel.run(concurrency: concurrency)
        #expect(splits.count == 252)
        #expect(splits == kernel.run(concurrency: 1))
        try expectDirectScans(splits, statistics)
        // The first of the two copies is n*, and its tie with the other counts half: ranks of
        // a whole number and a half.
        let selected = splits.filter { $0.selected == 3 }
        #expect(selected.count > 126 && !splits.contains { $0.selected == 150 })
        #expect(selected.allSatisfy { $0.rank - $0.rank.rounded(.down) == 0.5 })
    }

    /// The same on every shape the lanes meet: S = 2 (no level kept), trials fewer than four
    /// or not a multiple of four (a tail after the lanes), and the best tied within a lane and
    /// between a lane and the tail (trial 4 and the last are copies of the first).
    @Test(arguments: [(2, 7), (4, 3), (6, 131), (8, 2), (4, 1)])
    func everyShapeIsItsDirectScan(_ blocks: Int, _ trials: Int) throws {
        var columns = SyntheticReturns.columns(periods: 120, trials: max(2, trials), seed: 7)
        columns[0] = columns[0].map { $0 + 0.003 }
        if columns.count > 2 { columns[columns.count - 1] = columns[0] }
        if columns.count > 5 { columns[4] = columns[0] }
        var statistics = TrialBlockStatistics(layout: try BlockLayout(periods: 120, blocks: blocks))
        for column in columns { try statistics.append(returns: column) }
        let splits = CrossValidationKernel(statistics).run(concurrency: 2)
        #expect(splits.count == OverfittingEstimate.splits(blocks: blocks).count)
        try expectDirectScans(splits, statistics)
    }

    /// Each split's n\* is the first trial with the highest in-sample Sharpe ratio, its rank the
    /// out-of-sample one with ties sharing their mean position, and its Sharpe ratios those of a
    /// direct computation.
    private func expectDirectScans(_ splits: [CrossValidationKernel.Split], _ statistics: TrialBlockStatistics) throws {
        let blocks = statistics.layout.blocks
        let trials = statistics.trialCount
        let combinations = OverfittingEstimate.splits(blocks: blocks)
        for (k, split) in splits.enumerated() {
            let complement = (0..<blocks).filter { !combinations[k].contains($0) }
            let inSample = (0..<trials).map { statistics.sharpe(ofTrial: $0, overBlocks: combinations[k]) }
            let outOfSample = (0..<trials).map { statistics.sharpe(ofTrial: $0, overBlocks: complement) }
            let best = inSample.indices.max { inSample[$0] < inSample[$1] || (inSample[$0] == inSample[$1] && $0 > $1) } ?? -1
            let target = outOfSample[split.selected]
            let rank = Double(outOfSample.filter { $0 < target }.count) + Double(outOfSample.filter { $0 == target }.count + 1) / 2
            // The kernel compares exact sums; the direct Sharpe ratios agree but for ties.
            #expect(split.selected == best || abs(inSample[split.selected] - inSample[best]) < 1e-12, "S = \(blocks), split \(k)")
            #expect(split.selected <= best || inSample[split.selected] != inSample[best], "S = \(blocks), split \(k): not the first")
            #expect(split.rank == rank, "S = \(blocks), split \(k)")
            #expect(abs(split.inSampleSharpe - inSample[split.selected]) < 1e-12)
            #expect(abs(split.outOfSampleSharpe - target) < 1e-12)
        }
    }
}
