import BacktestAPI
import BacktestEngine
import BacktestResearch
import Testing

@testable import BacktestOptimize

@Suite("robustness of a search")
struct RobustnessSearchTests {
    static func optimizer<Target: OptimizationTarget>(
        _ target: Target,
        axes: [String],
        constraint: String?,
        blocks: Int?,
        concurrency: Int,
        chunkSize: Int
    ) throws -> Optimizer<Target> {
        let space = try SearchSpace(axes: axes.map { try ParameterAxis(parsing: $0) }, constraint: constraint)
        var configuration = Optimizer<Target>.Configuration(objective: try Objective(maximize: "sqn"), concurrency: concurrency, chunkSize: chunkSize)
        configuration.robustnessBlocks = blocks.map { .fixed($0) }
        return Optimizer(space: space, target: target, configuration: configuration)
    }

    @Test func unitsOfWorkMergeToTheStatisticsOfEveryCombinationInRunOrder() async throws {
        var request = BacktestRequest(strategy: "sma_cross")
        request.commission = Commission(relative: 0.002)
        let target = try Fixtures.target(request)
        let axes = ["fast=5..50:5", "slow=10..200:10"]
        let small = try Self.optimizer(target, axes: axes, constraint: "fast < slow", blocks: 16, concurrency: 1, chunkSize: 7)
        let large = try Self.optimizer(target, axes: axes, constraint: "fast < slow", blocks: 16, concurrency: 2, chunkSize: 32)
        let plan = try small.plan()
        let a = try await small.run(plan)
        let b = try await large.run(plan)
        let trials = try #require(a.trials)
        #expect(trials.trialCount == 175)
        #expect(a.trials == b.trials)
        // Each trial is the combination's own equity returns.
        let layout = try BlockLayout(periods: target.bars.count - 1, blocks: 16)
        var expected = TrialBlockStatistics(layout: layout)
        for sequence in [0, 174] {
            var parameters: [String: ParameterValue] = [:]
            for (axis, value) in zip(small.space.axes, small.space.values(at: plan.order[sequence])) { parameters[axis.name] = value }
            let run = try #require(try target.runTrial(parameters, cache: nil))
            try expected.append(equity: run.equity)
            // Read from the curve or from the returns built first: the same within rounding.
            var fromReturns = TrialBlockStatistics(layout: layout)
            try fromReturns.append(returns: run.returns)
            let a = try #require(expected.totals.last)
            let b = try #require(fromReturns.totals.first)
            #expect(abs(a.sharpe - b.sharpe) <= 1e-12 * abs(b.sharpe))
            #expect(zip(expected.blockMeans.suffix(16), fromReturns.blockMeans).allSatisfy { abs($0 - $1) <= 1e-15 })
        }
        #expect(expected.totals == [trials.totals[0], trials.totals[174]])
        let summary = try #require(try small.robustness(of: a, plan: plan))
        #expect(summary.trials == 175)
        #expect(summary.combinations == 12_870)
        #expect((0...1).contains(summary.pbo))
        #expect(summary.winner == small.describe(Dictionary(uniqueKeysWithValues: a.best.parameters.map { ($0.name, $0.value) })))
        #expect(summary.bootstrap?.trades == a.best.statistics.trades)
    }

    @Test func noBlockWithoutTheOptionOrWithoutAnEquityCurve() async throws {
        let target = try Fixtures.target(BacktestRequest(strategy: "sma_cross"))
        let off = try Self.optimizer(target, axes: ["fast=5..10:5", "slow=20..30:10"], constraint: nil, blocks: nil, concurrency: 1, chunkSize: 2)
        let plan = try off.plan()
        let result = try await off.run(plan)
        #expect(result.trials == nil)
        #expect(try off.robustness(of: result, plan: plan) == nil)
        let table = TableTarget(table: [1: (1.0, 3), 2: (2.0, 4)])
        let noCurve = try Self.optimizer(table, axes: ["x=1,2", "y=1"], constraint: nil, blocks: 16, concurrency: 1, chunkSize: 1)
        let tablePlan = try noCurve.plan()
        let tableResult = try await noCurve.run(tablePlan)
        #expect(tableResult.trials == nil)
        #expect(try noCurve.robustness(of: tableResult, plan: tablePlan) == nil)
        var limited = try Self.optimizer(target, axes: ["fast=5..10:5", "slow=20..30:10"], constraint: nil, blocks: 2, concurrency: 1, chunkSize: 2)
        var configuration = limited.configuration
        configuration.robustnessMaxTrials = 3
        limited = Optimizer(space: limited.space, target: limited.target, configuration: configuration)
        #expect(try await limited.run(try limited.plan()).trials == nil)
        configuration.robustnessMaxTrials = 4
        limited = Optimizer(space: limited.space, target: limited.target, configuration: configuration)
        #expect(try await limited.run(try limited.plan()).trials?.trialCount == 4)
    }
}
