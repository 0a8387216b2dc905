import BacktestAPI
import BacktestEngine
import BacktestResearch
import Testing

@testable import BacktestOptimize

/// A search computes only the statistics it ranks and reports, and completes the kept ones:
/// what each scope computes, and the kept combinations bit for bit a plain run's.
@Suite("statistics scopes")
struct StatisticsScopeTests {
    /// Runs with commission, both directions' brackets, and one without a trade.
    static let requests: [BacktestRequest] = {
        var commissioned = BacktestRequest(strategy: "sma_cross", params: ["fast": .number(5), "slow": .number(40)])
        commissioned.commission = Commission(relative: 0.002)
        var bracketed = BacktestRequest(strategy: "sma_cross", params: ["fast": .number(10), "slow": .number(30)])
        bracketed.slPct = 0.02
        bracketed.tpPct = 0.05
        let idle = BacktestRequest(strategy: "sma_cross", params: ["fast": .number(2000), "slow": .number(2100)])
        return [commissioned, bracketed, idle]
    }()

    @Test("each statistic a key calls trade-scoped is a full run's value; every other one is NaN; completing gives the full run", arguments: 0..<3)
    func scopes(_ index: Int) throws {
        let (settings, strategy) = try Self.requests[index].validated()
        let backtest = Backtest(bars: try Fixtures.goog(), settings: settings)
        let full = try backtest.run(strategy).statistics
        let narrow = try backtest.run(strategy, statistics: .trades)
        for key in StatisticKey.all {
            let value = key.value(in: narrow.statistics)
            if key.scope == .trades {
                #expect(value.bitPattern == key.value(in: full).bitPattern, "\(key) differs from the full run's")
            } else {
                #expect(value.isNaN, "\(key) is computed in the trades scope: \(value)")
            }
        }
        #expect(OptimizerTests.same(backtest.statistics(of: narrow), full))
        #expect(narrow.equity == (try backtest.run(strategy).equity))
    }

    @Test("the scope of a list of statistics is the narrowest that computes all of them")
    func listScope() throws {
        let sqn = try StatisticKey(name: "sqn")
        let trades = try StatisticKey(name: "trades")
        let sharpe = try StatisticKey(name: "sharpe_ratio")
        #expect([sqn, trades].scope == .trades)
        #expect([sqn, trades, sharpe].scope == .all)
        #expect(try StatisticKey(name: "max_drawdown_pct").scope == .all)
        #expect(try StatisticKey(name: "alpha_pct").scope == .all)
    }

    @Test(
        "a search by SQN, with and without robustness, keeps every statistic of its top and best, each a plain run's; its heatmap equals one that computes all"
    )
    func keptAreComplete() async throws {
        var request = BacktestRequest(strategy: "sma_cross")
        request.commission = Commission(relative: 0.002)
        let target = try Fixtures.target(request)
        let space = try SearchSpace(axes: [try ParameterAxis(parsing: "fast=5..25:5"), try ParameterAxis(parsing: "slow=30..200:10")])
        let narrow = Optimizer(
            space: space,
            target: target,
            configuration: .init(objective: OptimizerTests.sqn, topCount: 5, concurrency: 2, chunkSize: 7)
        )
        let sharpe = try StatisticKey(name: "sharpe_ratio")
        let wide = Optimizer(
            space: space,
            target: target,
            configuration: .init(
                objective: OptimizerTests.sqn,
                statistics: [OptimizerTests.sqn.statistic, sharpe],
                topCount: 5,
                concurrency: 2,
                chunkSize: 7
            )
        )
        let narrowRows = LockedRows()
        let wideRows = LockedRows()
        let result = try await narrow.run(rows: { narrowRows.append($0) })
        let reference = try await wide.run(rows: { wideRows.append($0) })
        let robust = try await narrow.withRobustness().run()
        #expect(result.top.count == 5)
        #expect(robust.trials?.trialCount == result.evaluated)
        for candidate in [result.best] + result.top + [robust.best] + robust.top {
            var plain = request
            for (name, value) in candidate.parameters { plain.params[name] = value }
            let (settings, strategy) = try plain.validated()
            let full = try Backtest(bars: try Fixtures.goog(), settings: settings).run(strategy).statistics
            #expect(OptimizerTests.same(candidate.statistics, full), "\(candidate.parameters)")
        }
        #expect(zip(result.top, reference.top).allSatisfy { OptimizerTests.same($0.statistics, $1.statistics) })
        let sqnColumn = { (rows: [HeatmapRow]) in rows.sorted { $0.sequence < $1.sequence }.map { $0.statistics[0].bitPattern } }
        #expect(sqnColumn(narrowRows.rows) == sqnColumn(wideRows.rows))
    }
}
