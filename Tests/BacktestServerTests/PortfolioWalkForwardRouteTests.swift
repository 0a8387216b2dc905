import BacktestAPI
import BacktestEngine
import BacktestOptimize
import Foundation
import NIOHTTP1
import Testing

@testable import BacktestServer

/// `POST /v1/optimizations` with `portfolio` and `walk_forward`: one unit per fold on the
/// workers, the same folds and stitched statistics as the analysis run in-process, no
/// heatmap, and folds that do not fit the calendar refused naming `walk_forward`.
@Suite(.serialized) struct PortfolioWalkForwardRouteTests {
    static let grid = #""grid":["lookback=20..100:40","top=1..2:1"]"#

    @Test("a momentum portfolio's walk-forward on the server: the in-process analysis's folds, stitched statistics and page")
    func walkForwardMatchesInProcess() async throws {
        let server = try await TestServer.start()
        defer { Task { try? await server.stop() } }
        let body = #"{"portfolio":"# + PortfolioSearchRouteTests.portfolio + "," + Self.grid + #","walk_forward":"train=500,test=250"}"#
        let (id, status) = try await OptimizationRouteTests.run(server, body)
        #expect(status.status == .done && status.progress == JobProgress(done: 4, total: 4), "\(String(describing: status.error))")
        let report = try #require(status.result)
        #expect(report.walkForward == "train=500,test=250,step=250" && report.folds.count == 4)
        #expect(report.robustness == nil)

        // The same analysis in this process, on the same (bundled) bars.
        let optimizer = try PortfolioSearchRouteTests.localOptimizer(body)
        let spec = try WalkForwardSpec(parsing: "train=500,test=250")
        let expected = try await optimizer.walkForward(spec)
        for (fold, local) in zip(report.folds, expected.folds) {
            #expect(fold.params.items.map(\.value) == local.best.parameters.map(\.value))
            #expect(fold.stats.equityFinal == local.outOfSample.equityFinal && fold.stats.trades == local.outOfSample.trades)
            #expect(fold.inSampleObjective == local.best.objective)
        }
        let best = try #require(report.best)
        #expect(best.stats.equityFinal == expected.statistics.equityFinal && best.stats.sharpeRatio == expected.statistics.sharpeRatio)
        #expect(best.stats.trades == expected.statistics.trades && best.stats.trades > 0)
        #expect(report.walkForwardEfficiency == OptimizationReport(walkForward: expected, optimizer: optimizer, spec: spec).walkForwardEfficiency)

        let heatmap = try await server.send(.GET, "/v1/optimizations/\(id)/heatmap")
        #expect(heatmap.status == 404, "\(heatmap.text)")
        let page = try await server.send(.GET, "/v1/optimizations/\(id)/report")
        #expect(page.status == 200 && page.text.contains("portfolio (momentum) on AAPL, MSFT, NVDA, GOOG: walk-forward"))
    }

    @Test(
        "folds that do not fit the portfolio's calendar are refused before anything runs, naming walk_forward",
        arguments: [
            ("train=5000,test=250", "1259 bars"),
            ("train=60,test=50", "first training window"),
            ("train=1,test=50", "train must be at least 2"),
        ]
    )
    func refused(spec: String, fragment: String) async throws {
        let server = try await TestServer.start()
        defer { Task { try? await server.stop() } }
        let body = #"{"portfolio":"# + PortfolioSearchRouteTests.portfolio + "," + Self.grid + #","walk_forward":""# + spec + #""}"#
        let reply = try await server.send(.POST, "/v1/optimizations", json: body)
        #expect(reply.status == 422, "\(reply.text)")
        let problem = try reply.decode(Problem.self)
        #expect(problem.field == "walk_forward" && problem.detail.contains(fragment), "\(problem)")
        let list = try await server.send(.GET, "/v1/jobs?limit=10")
        #expect(!list.text.contains("\"optimization\""), "nothing was queued: \(list.text)")
    }
}
