import BacktestAPI
import BacktestEngine
import BacktestOptimize
import BacktestResearch
import MarketData
import Testing

/// Searches over a portfolio's parameters (`PortfolioTarget`).
@Suite("Portfolio searches")
struct PortfolioSearchTests {
    static func portfolio() throws -> PortfolioBacktest {
        let tickers = ["AAPL", "AMZN", "GOOG", "META", "NFLX"]
        let start = Timestamp.parse("2016-01-01")
        let end = Timestamp.parse("2020-12-31")
        let store = CSVBarStore(configuration: .init())
        let bars = try tickers.map { try store.bars(for: $0, from: start, through: end).bars }
        return try PortfolioBacktest(
            tickers: tickers,
            bars: bars,
            settings: PortfolioSettings(allocation: .momentum(lookback: 60, top: 2), schedule: .monthly, commission: 0.001)
        )
    }

    @Test("the best combination's statistics are those of a plain run with its parameters")
    func bestIsAPlainRun() async throws {
        let portfolio = try Self.portfolio()
        let target = PortfolioTarget(portfolio: portfolio)
        #expect(target.parameterNames == ["lookback", "top", "commission"])
        let search = OptimizationRequest(
            backtest: BacktestRequest(strategy: "buy_and_hold"),
            grid: ["lookback=20..120:20", "top=1..4:1"],
            maximize: "sharpe_ratio"
        )
        let optimizer = try search.optimizer(target: target, concurrency: 2)
        let result = try await optimizer.run()
        #expect(result.evaluated == 24)
        let best = result.best
        let values = Dictionary(uniqueKeysWithValues: best.parameters.map { ($0.name, $0.value) })
        let lookback = try #require(values["lookback"])
        let top = try #require(values["top"])
        guard case .number(let l) = lookback, case .number(let k) = top else { throw TestFailure("not numbers") }
        let plain = try portfolio.with(
            settings: PortfolioSettings(allocation: .momentum(lookback: Int(l), top: Int(k)), schedule: .monthly, commission: 0.001)
        ).run()
        #expect(best.statistics.sharpeRatio == plain.statistics.sharpeRatio)
        #expect(best.statistics.equityFinal == plain.statistics.equityFinal)
        #expect(best.statistics.trades == plain.orders.count)
        // Every other combination's Sharpe is at most the best one's.
        for row in result.top { #expect(row.statistics.sharpeRatio <= best.statistics.sharpeRatio) }
    }

    @Test("a portfolio search carries the robustness block: every combination a trial, its equity's returns")
    func robustness() async throws {
        let target = PortfolioTarget(portfolio: try Self.portfolio())
        let search = OptimizationRequest(
            backtest: BacktestRequest(strategy: "buy_and_hold"),
            grid: ["lookback=20..120:20", "top=1..4:1"],
            maximize: "sharpe_ratio"
        )
        var optimizer = try search.optimizer(target: target, concurrency: 2)
        var configuration = optimizer.configuration
        configuration.robustnessBlocks = .fixed(16)
        optimizer = Optimizer(space: optimizer.space, target: target, configuration: configuration)
        let plan = try optimizer.plan()
        let result = try await optimizer.run(plan)
        let summary = try #require(try optimizer.robustness(of: result, plan: plan))
        #expect(summary.trials == 24)
        #expect(summary.periods == (try Self.portfolio()).run().equity.count - 1)
        #expect(summary.pbo >= 0 && summary.pbo <= 1)
        for value in [summary.dsr, summary.psr] {
            let v = try #require(value)
            #expect(v >= 0 && v <= 1)
        }
        #expect(summary.bootstrap == nil)
    }

    @Test("a parameter the portfolio does not have, or a bad value, is refused naming it")
    func badParameters() throws {
        let target = PortfolioTarget(portfolio: try Self.portfolio())
        #expect(throws: BacktestError.self) { try target.check(["every": .number(5)]) }
        #expect(throws: BacktestError.self) { try target.check(["top": .number(9)]) }
        #expect(throws: BacktestError.self) { try target.check(["lookback": .number(2.5)]) }
        #expect(throws: Never.self) { try target.check(["lookback": .number(30), "top": .number(3)]) }
    }
}

struct TestFailure: Error, CustomStringConvertible {
    var description: String
    init(_ description: String) { self.description = description }
}
