import BacktestAPI
import BacktestEngine
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

    @Test("the database keeps at most the configured number of results, dropping the oldest")
    func storedResultsArePruned() async throws {
        let path = TestServer.temporaryDatabase()
        let database = try await ServerDatabase.open(path: path, logger: Logger(label: "test.db"))
        let cache = ResultCache(capacity: 100, storedLimit: 5, database: database, logger: Logger(label: "test.cache"))
        let report = BacktestReport(stats: Statistics(), trades: nil, equity: nil)
        for round in 0..<3 {
            for i in 0..<4 { cache.store("key-\(round)-\(i)", report) }
            await cache.flush()
        }
        #expect(try await database.resultCount() == 5)
        // The newest five survive: the last round's four and the previous round's last one.
        for i in 0..<4 { #expect(try await database.result(forKey: "key-2-\(i)") != nil) }
        #expect(try await database.result(forKey: "key-1-3") != nil)
        #expect(try await database.result(forKey: "key-1-2") == nil)
        #expect(try await database.result(forKey: "key-0-0") == nil)
        await database.close()
    }

    @Test("finished jobs past the retention are deleted on start; unfinished ones are kept")
    func expiredJobsAreDeleted() async throws {
        let db = TestServer.temporaryDatabase()
        let first = try await TestServer.start { $0.databasePath = db }
        let job = try await first.send(.POST, "/v1/jobs", json: #"{"tickers":["AAPL","MSFT"],"strategy":"buy_and_hold"}"#).decode(JobCreated.self)
        #expect(parseEvents(try await first.send(.GET, job.eventsUrl).text).last?.name == "done")
        try await first.stop()
        // Kept with the default retention...
        let second = try await TestServer.start { $0.databasePath = db }
        #expect(try await second.send(.GET, job.statusUrl).status == 200)
        try await second.stop()
        // ...deleted by a server whose retention it has outlived.
        let third = try await TestServer.start {
            $0.databasePath = db
            $0.jobRetention = .zero
        }
        var status = try await third.send(.GET, job.statusUrl).status
        for _ in 0..<200 where status != 404 {  // the sweep runs as the server starts
            try await Task.sleep(for: .milliseconds(10))
            status = try await third.send(.GET, job.statusUrl).status
        }
        #expect(status == 404)
        try await third.stop()
        let reopened = try await ServerDatabase.open(path: db, logger: Logger(label: "test.db"))
        #expect(try await reopened.jobItems(jobID: job.id).isEmpty)
        // Unfinished jobs are never deleted, however old; finished ones are.
        try await reopened.insertJob(.init(id: "queued", requests: Array("[]".utf8), state: "queued", total: 0))
        try await reopened.insertJob(.init(id: "running", requests: Array("[]".utf8), state: "running", total: 0))
        try await reopened.insertJob(.init(id: "cancelled", requests: Array("[]".utf8), state: "cancelled", total: 0))
        #expect(try await reopened.deleteFinishedJobs(createdBefore: 0).isEmpty)  // nothing that old
        #expect(try await reopened.deleteFinishedJobs(createdBefore: Date().timeIntervalSince1970 + 60) == ["cancelled"])
        #expect(try await reopened.job(id: "queued") != nil)
        #expect(try await reopened.job(id: "running") != nil)
        await reopened.close()
    }
}
