import BacktestAPI
import Foundation
import Logging
import Testing

@testable import BacktestServer

/// What survives a restart: cached results, finished jobs, unfinished jobs (resumed).
@Suite("Persistence", .serialized)
struct PersistenceTests {
    @Test("a cached result is a cache hit after a restart")
    func cacheAfterRestart() async throws {
        let db = TestServer.temporaryDatabase()
        let json = #"{"ticker":"NFLX","strategy":"rsi_reversion","start":"2018-01-01","end":"2019-12-31"}"#
        let first = try await TestServer.start { $0.databasePath = db }
        let original = try await first.send(.POST, "/v1/backtests", json: json).decode(BacktestReply.self)
        #expect(original.cached == false)
        try await first.stop()

        let second = try await TestServer.start { $0.databasePath = db }
        let again = try await second.send(.POST, "/v1/backtests", json: json).decode(BacktestReply.self)
        #expect(again.cached == true)
        #expect(try statsJSON(again.stats) == statsJSON(original.stats))
        try await second.stop()

        // With the cache off nothing is read from it.
        let third = try await TestServer.start {
            $0.databasePath = db
            $0.cacheEnabled = false
        }
        #expect(try await third.send(.POST, "/v1/backtests", json: json).decode(BacktestReply.self).cached == false)
        try await third.stop()
    }

    @Test("a finished job is still there after a restart; an unfinished one resumes")
    func jobsAfterRestart() async throws {
        let db = TestServer.temporaryDatabase()
        let data = try TestServer.longDataDirectory()
        defer { try? FileManager.default.removeItem(atPath: data) }
        let first = try await TestServer.start {
            $0.databasePath = db
            $0.dataDirectory = data
            $0.workers = 1
            $0.itemConcurrency = 1
            $0.cacheEnabled = false
        }
        let small = try await first.send(.POST, "/v1/jobs", json: #"{"tickers":["AAPL","MSFT"],"strategy":"buy_and_hold"}"#).decode(JobCreated.self)
        #expect(parseEvents(try await first.send(.GET, small.eventsUrl).text).last?.name == "done")
        // 400 items on 5,000 bars each: the stop below lands long before the job ends.
        let tickers = Array(repeating: "\"LONG\"", count: 400).joined(separator: ",")
        let big = try await first.send(.POST, "/v1/jobs", json: "{\"tickers\":[\(tickers)],\"strategy\":\"donchian\"}").decode(JobCreated.self)
        try await Task.sleep(for: .milliseconds(50))
        try await first.stop()
        // The stop left the big job unfinished in the database, with its finished items kept.
        let database = try await ServerDatabase.open(path: db, logger: Logger(label: "test.db"))
        let stored = try #require(try await database.job(id: big.id))
        let storedItems = try await database.jobItems(jobID: big.id)
        await database.close()
        #expect(["queued", "running"].contains(stored.state))
        #expect(storedItems.count < 400)
        let stopped = try await TestServer.start {
            $0.databasePath = db
            $0.dataDirectory = data
            $0.workers = 1
            $0.cacheEnabled = false
        }
        // Read what was stored before the resumed job gets far (it may have finished already on a fast machine).
        let early = try await stopped.send(.GET, big.statusUrl).decode(JobStatus.self)
        #expect(early.progress.total == 400)

        let done = parseEvents(try await stopped.send(.GET, big.eventsUrl).text)
        #expect(done.last?.name == "done")
        let status = try await stopped.send(.GET, big.statusUrl).decode(JobStatus.self)
        #expect(status.status == .done)
        #expect(status.results?.count == 400)
        #expect(status.results?.map(\.index) == Array(0..<400))
        #expect(status.results?.allSatisfy { $0.result != nil } == true)

        let smallAgain = try await stopped.send(.GET, small.statusUrl).decode(JobStatus.self)
        #expect(smallAgain.status == .done)
        #expect(smallAgain.results?.compactMap { $0.result?.ticker } == ["AAPL", "MSFT"])
        try await stopped.stop()
    }
}
