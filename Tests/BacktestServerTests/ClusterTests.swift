import BacktestAPI
import BacktestEngine
import Foundation
import NIOHTTP1
import Testing

@testable import BacktestServer

/// Two servers sharing one PostgreSQL database: the work spreads, any node answers for any job.
@Suite(.serialized, .enabled(if: StorageKind.postgresURL != nil, "needs BACKTEST_TEST_POSTGRES_URL"))
struct ClusterTests {
    @Test("a job created on one node runs on both, is followed and cancelled from the other, each item stored once")
    func twoNodes() async throws {
        let (_, url) = try await StorageKind.postgres.freshDatabase()
        let data = try TestServer.longDataDirectory()
        defer { try? FileManager.default.removeItem(atPath: data) }
        func node() async throws -> TestServer {
            try await TestServer.start {
                $0.databaseURL = url
                $0.dataDirectory = data
                $0.workers = 1
                $0.itemConcurrency = 1
                $0.cacheEnabled = false
            }
        }
        let a = try await node()
        let b = try await node()
        // 300 backtests of 5,000 bars, created on A, followed on B.
        let tickers = Array(repeating: "\"LONG\"", count: 300).joined(separator: ",")
        let job = try await a.send(.POST, "/v1/jobs", json: "{\"tickers\":[\(tickers)],\"strategy\":\"donchian\"}").decode(JobCreated.self)
        let events = parseEvents(try await b.send(.GET, job.eventsUrl).text)
        #expect(events.last?.name == "done")
        #expect(events.filter { $0.name == "item" }.count == 300)
        let status = try await b.send(.GET, job.statusUrl).decode(JobStatus.self)
        #expect(status.status == .done)
        #expect(status.results?.map(\.index) == Array(0..<300))
        #expect(status.results?.allSatisfy { $0.result != nil } == true)
        // Both nodes did some of the work.
        for server in [a, b] {
            let metrics = try await server.send(.GET, "/metrics").text
            let claimed = metrics.split(separator: "\n").first { $0.hasPrefix("backtest_job_items_claimed_total ") }
            #expect((claimed?.split(separator: " ").last.flatMap { Double($0) } ?? 0) > 0, "\(server.baseURL): \(claimed ?? "none")")
        }
        let cluster = try await a.send(.GET, "/v1/cluster").decode(ClusterSnapshot.self)
        #expect(cluster.nodes.count == 2 && cluster.queued == 0 && cluster.claimed == 0)

        // Created on B, cancelled on A: no node starts its items any more.
        let other = try await b.send(.POST, "/v1/jobs", json: "{\"tickers\":[\(tickers)],\"strategy\":\"donchian\"}").decode(JobCreated.self)
        let cancelled = try await a.send(.POST, other.statusUrl + "/cancel").decode(JobStatus.self)
        #expect(cancelled.status == .cancelled)
        try await Task.sleep(for: .milliseconds(300))
        let later = try await b.send(.GET, other.statusUrl).decode(JobStatus.self)
        #expect(later.status == .cancelled && later.progress.done < 300)
        #expect(try await a.send(.GET, "/v1/cluster").decode(ClusterSnapshot.self).queued == 0)

        // Created on A, running on both, deleted on B: gone on both, its work left on no node.
        let third = try await a.send(.POST, "/v1/jobs", json: "{\"tickers\":[\(tickers)],\"strategy\":\"donchian\"}").decode(JobCreated.self)
        #expect(try await b.send(.DELETE, third.statusUrl).status == 204)
        #expect(try await a.send(.GET, third.statusUrl).status == 404)
        #expect(try await b.send(.GET, third.statusUrl).status == 404)
        try await Task.sleep(for: .milliseconds(300))
        let cluster3 = try await a.send(.GET, "/v1/cluster").decode(ClusterSnapshot.self)
        #expect(cluster3.queued == 0 && cluster3.claimed == 0)
        #expect(try await a.send(.GET, third.statusUrl).status == 404)

        // Bars uploaded through A are served by B; removed through B, they are gone on A.
        let upload = try await a.send(.PUT, "/v1/tickers/WAVE/bars", body: DataRouteTests.wave, headers: DataRouteTests.csvHeaders)
        #expect(upload.status == 201, "\(upload.text)")
        let run = #"{"ticker":"WAVE","strategy":"sma_cross","params":{"fast":5,"slow":20}}"#
        #expect(try await Self.eventually { try await b.send(.POST, "/v1/backtests", json: run).status == 200 })
        let onA = try await a.send(.POST, "/v1/backtests", json: run).decode(BacktestReply.self)
        let onB = try await b.send(.POST, "/v1/backtests", json: run).decode(BacktestReply.self)
        #expect(onA.stats.sqn == onB.stats.sqn && onA.stats.trades == onB.stats.trades)
        #expect(try await b.send(.DELETE, "/v1/tickers/WAVE").status == 200)
        #expect(try await Self.eventually { try await a.send(.POST, "/v1/backtests", json: run).status == 404 })
        try await a.stop()
        try await b.stop()
    }

    /// Whether `condition` holds within 10 s.
    static func eventually(_ condition: () async throws -> Bool) async throws -> Bool {
        for _ in 0..<100 {
            if try await condition() { return true }
            try await Task.sleep(for: .milliseconds(100))
        }
        return false
    }
}
