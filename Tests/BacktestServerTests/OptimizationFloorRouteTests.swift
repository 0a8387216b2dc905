import BacktestAPI
import BacktestEngine
import Foundation
import NIOHTTP1
import Testing

@testable import BacktestServer

/// `min_trades` on `/v1/optimizations` (issue 25): the floor passes through to the search, the
/// report counts the runs below it and warns about a winner on few trades.
@Suite(.serialized) struct OptimizationFloorRouteTests {
    static let backtest = #""backtest":{"ticker":"GOOGREF","strategy":"sma_cross"}"#
    /// Long averages trade a handful of times on GOOG; short ones dozens.
    static let grid = #""grid":["fast=5,10,150,190","slow=20,30,300,370"],"constraint":"fast < slow","maximize":"sqn""#

    @Test("a floor of 30: the winner has 30 trades or more, the runs below are counted and blank in the heatmap")
    func floor() async throws {
        let server = try await TestServer.start()
        defer { Task { try? await server.stop() } }
        try await OptimizationRouteTests.uploadGOOG(server)
        let (id, status) = try await OptimizationRouteTests.run(server, "{" + Self.backtest + "," + Self.grid + #","min_trades":30}"#)
        let result = try #require(status.result)
        #expect(result.minTrades == 30)
        #expect((result.best?.stats.trades ?? 0) >= 30)
        let below = try #require(result.belowMinTrades)
        #expect(below >= 1)
        #expect(result.warnings.isEmpty)
        let heatmap = try await server.send(.GET, "/v1/optimizations/\(id)/heatmap").text
        let blank = heatmap.split(separator: "\n").dropFirst().filter { line in
            let cells = line.split(separator: ",", omittingEmptySubsequences: false)
            return cells.count == 4 && cells[2].isEmpty && (Int(cells[3]) ?? 0) > 0
        }
        #expect(blank.count == below)
        let page = try await server.send(.GET, "/v1/optimizations/\(id)/report")
        #expect(page.status == 200)
        #expect(page.text.contains("\"warnings\":[]"))
    }

    @Test("without a floor, a winner on fewer than 10 trades is warned about in the report and on the page")
    func warning() async throws {
        let server = try await TestServer.start()
        defer { Task { try? await server.stop() } }
        try await OptimizationRouteTests.uploadGOOG(server)
        let body = "{" + Self.backtest + #","grid":["fast=150,190","slow=300,370"],"constraint":"fast < slow","maximize":"sqn"}"#
        let (id, status) = try await OptimizationRouteTests.run(server, body)
        let result = try #require(status.result)
        #expect(result.minTrades == nil && result.belowMinTrades == nil)
        let trades = try #require(result.best?.stats.trades)
        #expect(trades < 10)
        #expect(result.warnings.count == 1)
        #expect(result.warnings.first?.contains("--min-trades") == true)
        let page = try await server.send(.GET, "/v1/optimizations/\(id)/report")
        #expect(page.text.contains("only \(trades) trade"))
    }
}
