import BacktestResearch
import Testing

@Suite("block statistics")
struct BlockStatisticsTests {
    /// Returns far from 0 relative to their spread, with a trend across blocks: Σr² − n·mean²
    /// would lose every digit here.
    static func hardColumns() -> [[Double]] {
        let noise = SyntheticReturns.columns(periods: 403, trials: 5, seed: 5)
        return noise.enumerated().map { j, column in
            column.enumerated().map { t, z in 1.0 + Double(j) * 0.25 + 1e-4 * z + 1e-8 * Double(t) }
        }
    }

    static func statistics(_ columns: [[Double]], blocks: Int) throws -> TrialBlockStatistics {
        var statistics = TrialBlockStatistics(layout: try BlockLayout(periods: columns[0].count, blocks: blocks))
        for column in columns { try statistics.append(returns: column) }
        return statistics
    }

    @Test func sharpeOfAnyUnionOfBlocksIsTheTwoPassValue() throws {
        let columns = Self.hardColumns()
        let statistics = try Self.statistics(columns, blocks: 8)
        let layout = statistics.layout
        for split in OverfittingEstimate.splits(blocks: 8) {
            for (j, column) in columns.enumerated() {
                let joined = split.flatMap { column[layout.range(ofBlock: $0)] }
                let expected = SampleMoments(joined).sharpe
                let merged = statistics.sharpe(ofTrial: j, overBlocks: split)
                #expect(abs(merged - expected) <= 1e-9 * abs(expected), "trial \(j), blocks \(split)")
            }
        }
    }

    @Test func crossValidationSharpeRatiosAreTheTwoPassValues() throws {
        let columns = Self.hardColumns()
        let statistics = try Self.statistics(columns, blocks: 8)
        let layout = statistics.layout
        let estimate = try OverfittingEstimate(statistics)
        for (k, split) in OverfittingEstimate.splits(blocks: 8).enumerated() {
            let column = columns[estimate.selectedTrials[k]]
            let inSample = SampleMoments(split.flatMap { column[layout.range(ofBlock: $0)] }).sharpe
            let rest = (0..<8).filter { !split.contains($0) }
            let outOfSample = SampleMoments(rest.flatMap { column[layout.range(ofBlock: $0)] }).sharpe
            #expect(abs(estimate.inSampleSharpe[k] - inSample) <= 1e-9 * abs(inSample), "split \(k)")
            #expect(abs(estimate.outOfSampleSharpe[k] - outOfSample) <= 1e-9 * abs(outOfSample), "split \(k)")
        }
    }

    @Test func mergedUnitsEqualOneUnitOfEveryTrial() throws {
        let columns = SyntheticReturns.columns(periods: 330, trials: 30, seed: 3)
        let whole = try Self.statistics(columns, blocks: 10)
        var merged = try Self.statistics(Array(columns[0..<7]), blocks: 10)
        try merged.merge(try Self.statistics(Array(columns[7..<30]), blocks: 10))
        #expect(merged == whole)
        let moments = SampleMoments(columns[whole.bestTrial])
        #expect(merged.bestTrial == whole.bestTrial)
        #expect(try RobustnessReport(merged, bestMoments: moments) == RobustnessReport(whole, bestMoments: moments))
        var other = try Self.statistics(Array(columns[0..<3]), blocks: 6)
        #expect(throws: ResearchError.self) { try other.merge(whole) }
    }

    /// 1 thread: one tile of 200 trials; 7 threads: four tiles of up to 64, merged.
    @Test func theResultDoesNotDependOnTheThreads() throws {
        let statistics = try Self.statistics(SyntheticReturns.columns(periods: 300, trials: 200, seed: 9), blocks: 12)
        #expect(try OverfittingEstimate(statistics, concurrency: 1) == OverfittingEstimate(statistics, concurrency: 7))
    }

    @Test func splitsAreItertoolsCombinationsInOrder() throws {
        #expect(OverfittingEstimate.splits(blocks: 4) == [[0, 1], [0, 2], [0, 3], [1, 2], [1, 3], [2, 3]])
        #expect(OverfittingEstimate.splits(blocks: 16).count == 12_870)
        #expect(try BlockLayout(periods: 40, blocks: 16).combinations == 12_870)
    }

    @Test(arguments: [(40, 3), (40, 0), (40, -2), (31, 16)])
    func badBlockCountsAreRefused(_ periods: Int, _ blocks: Int) {
        do {
            _ = try BlockLayout(periods: periods, blocks: blocks)
            Issue.record("\(blocks) blocks of \(periods) periods were accepted")
        } catch {
            #expect(error.code == .invalidBlocks)
        }
    }

    @Test func badReturnsAreRefusedNamingThePeriod() throws {
        var statistics = TrialBlockStatistics(layout: try BlockLayout(periods: 8, blocks: 2))
        do {
            try statistics.append(returns: [0, 0.1, .nan, 0, 0, 0, 0, 0])
            Issue.record("a NaN return was accepted")
        } catch {
            #expect(error.code == .nonFiniteReturn)
            #expect(error.message.contains("period 3"))
        }
        #expect(throws: ResearchError.self) { try statistics.append(returns: [0, 0.1]) }
        try statistics.append(returns: [0, 0.1, 0.2, 0, 0, 0.3, 0, 0])
        do {
            _ = try OverfittingEstimate(statistics)
            Issue.record("one trial was accepted")
        } catch {
            #expect(error.code == .tooFewTrials)
        }
    }

    @Test func bootstrapRefusesNoTradesAndNonFiniteReturns() {
        #expect(throws: ResearchError.self) { try TradeBootstrap(tradeReturns: []) }
        #expect(throws: ResearchError.self) { try TradeBootstrap(tradeReturns: [0.1, .infinity]) }
    }

    @Test func psrIsUndefinedWhenItsVarianceIsNotPositive() {
        #expect(DeflatedSharpe.probabilisticSharpe(sharpe: 1, benchmark: 0, periods: 100, skewness: 3, kurtosis: 1) == nil)
        #expect(DeflatedSharpe.probabilisticSharpe(sharpe: 0, benchmark: 0, periods: 100, skewness: 0, kurtosis: 3) == 0.5)
    }
}
