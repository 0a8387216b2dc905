import BacktestAPI
import BacktestEngine
import BacktestOptimize
import Foundation
import MarketData
import NIOHTTP1
import Testing

@testable import BacktestServer

/// `POST /v1/optimizations` with `portfolio`: a portfolio's parameters searched as a job (units
/// on the workers, like a strategy's search), the same result as the search run in-process,
/// and bad input refused with the field named.
@Suite(.serialized) struct PortfolioSearchRouteTests {
    static let portfolio =
        #"{"tickers":["AAPL","MSFT","NVDA","GOOG"],"start":"2016-01-01","end":"2020-12-31","allocation":{"type":"momentum","lookback":60,"top_k":2},"schedule":{"type":"monthly"},"commission":0.001}"#

    /// The search `body` describes, in this process on the bundled bars, with the server's
    /// default objective (sharpe_ratio).
    static func localOptimizer(_ body: String) throws -> Optimizer<PortfolioTarget> {
        var request = try JSONDecoder().decode(OptimizationRequest.self, from: Data(body.utf8))
        let portfolio = try #require(request.portfolio)
        let range = try portfolio.dateRange()
        let store = CSVBarStore()
        let bars = try portfolio.tickers.map { try store.bars(for: $0, from: range.start, through: range.end).bars }
        request.maximize = "sharpe_ratio"
        let target = PortfolioTarget(portfolio: try PortfolioBacktest(tickers: portfolio.tickers, bars: bars, settings: portfolio.settings))
        return try request.optimizer(target: target, concurrency: 1)
    }

    @Test("a momentum portfolio's lookback and top searched on the server: the in-process search's winner, heatmap and page")
    func searchMatchesInProcess() async throws {
        let server = try await TestServer.start()
        defer { Task { try? await server.stop() } }
        let body = #"{"portfolio":"# + Self.portfolio + #","grid":["lookback=20..120:20","top=1..3:1"],"top":3}"#
        let (id, status) = try await OptimizationRouteTests.run(server, body)
        #expect(status.status == .done && status.progress == JobProgress(done: 18, total: 18), "\(String(describing: status.error))")
        let report = try #require(status.result)
        #expect(report.objective.statistic == "sharpe_ratio" && report.objective.maximizes)
        #expect(report.parameters == ["lookback", "top"] && report.combinations == 18)

        // The same search in this process, on the same (bundled) bars.
        let optimizer = try Self.localOptimizer(body)
        let expected = try await optimizer.run(try optimizer.plan())
        let best = try #require(report.best)
        #expect(best.params.items.map(\.name) == ["lookback", "top"])
        #expect(best.params.items.map(\.value) == expected.best.parameters.map(\.value))
        #expect(best.stats.sharpeRatio == expected.best.statistics.sharpeRatio && best.stats.sharpeRatio.isFinite)
        #expect(best.stats.trades == expected.best.statistics.trades && best.stats.trades > 0)

        let heatmap = try await server.send(.GET, "/v1/optimizations/\(id)/heatmap")
        #expect(heatmap.status == 200)
        let lines = heatmap.text.split(separator: "\n")
        #expect(lines.first?.hasPrefix("lookback,top,") == true && lines.count == 19, "\(heatmap.text.prefix(200))")
        let page = try await server.send(.GET, "/v1/optimizations/\(id)/report")
        #expect(page.status == 200 && page.text.contains("portfolio (momentum) on AAPL, MSFT, NVDA, GOOG"))
    }

    @Test(
        "a bad portfolio search is refused before anything runs, naming the field",
        arguments: [
            (#"{"portfolio":"# + portfolio + #","tickers":["AAPL"],"grid":["top=1..2:1"]}"#, "tickers"),
            (#"{"portfolio":"# + portfolio + #","backtest":{"ticker":"AAPL","strategy":"sma_cross"},"grid":["top=1..2:1"]}"#, "backtest"),
            (#"{"portfolio":null,"backtest":{"ticker":"AAPL","strategy":"sma_cross"},"grid":["fast=5..10:5"]}"#, "portfolio"),
            (#"{"portfolio":"# + portfolio + #","grid":["fast=5..10:5"]}"#, "fast"),
            (#"{"portfolio":{"tickers":["AAPL","NOPE"],"allocation":{"type":"equal"}},"grid":["commission=0..0.002:0.001"]}"#, "portfolio.ticker"),
            (#"{"portfolio":{"tickers":["AAPL"],"allocation":{"type":"equal"},"cash":-5},"grid":["commission=0..0.002:0.001"]}"#, "portfolio.cash"),
            (#"{"grid":["top=1..2:1"]}"#, "backtest"),
        ]
    )
    func refused(body: String, field: String) async throws {
        let server = try await TestServer.start()
        defer { Task { try? await server.stop() } }
        let reply = try await server.send(.POST, "/v1/optimizations", json: body)
        #expect([404, 422].contains(reply.status), "\(reply.text)")
        let problem = try reply.decode(Problem.self)
        #expect(problem.field == field || problem.detail.contains(field), "\(problem)")
        let list = try await server.send(.GET, "/v1/jobs?limit=10")
        #expect(!list.text.contains("\"optimization\""), "nothing was queued: \(list.text)")
    }
}
