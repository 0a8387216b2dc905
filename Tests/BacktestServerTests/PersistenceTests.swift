import BacktestAPI
import BacktestEngine
import Foundation
import Logging
import NIOHTTP1
import SQLiteNIO
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
        let database = try await StorageKind.openCurrent(path: db)
        let stored = try #require(try await database.job(id: big.id))
        let storedItems = try await database.jobItems(jobID: big.id)
        await database.close()
        #expect(!stored.state.hasEnded)
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
        let cache = ResultCache(capacity: 100, storedLimit: 10, database: database, logger: Logger(label: "test.cache"))
        let report = BacktestReport(stats: Statistics(), trades: nil, equity: nil)
        for round in 0..<3 {
            for i in 0..<4 { cache.store("key-\(round)-\(i)", report) }
            await cache.flush()
        }
        // 12 rows > 10: pruned to 90 % of the limit, the newest 9.
        #expect(try await database.resultCount() == 9)
        for i in 0..<3 { #expect(try await database.result(forKey: "key-0-\(i)") == nil) }
        #expect(try await database.result(forKey: "key-0-3") != nil)
        for i in 0..<4 { #expect(try await database.result(forKey: "key-2-\(i)") != nil) }
        // A replaced row counts as the newest: key-0-3 outlives round 1.
        cache.store("key-0-3", report)
        await cache.flush()
        for i in 0..<4 { cache.store("new-\(i)", report) }
        await cache.flush()
        #expect(try await database.resultCount() == 9)
        #expect(try await database.result(forKey: "key-0-3") != nil)
        for i in 0..<4 { #expect(try await database.result(forKey: "key-1-\(i)") == nil) }
        for i in 0..<4 { #expect(try await database.result(forKey: "new-\(i)") != nil) }
        // A restarted cache (count unknown) under the limit deletes nothing.
        let restarted = ResultCache(capacity: 100, storedLimit: 10, database: database, logger: Logger(label: "test.cache"))
        restarted.store("after-restart", report)
        await restarted.flush()
        #expect(try await database.resultCount() == 10)
        await database.close()
    }

    @Test("jobs that ended longer ago than the retention are deleted on start; unfinished ones are kept")
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
        for _ in 0..<1_000 where status != 404 {  // the sweep runs as the server starts
            try await Task.sleep(for: .milliseconds(10))
            status = try await third.send(.GET, job.statusUrl).status
        }
        #expect(status == 404)
        try await third.stop()
        let reopened = try await StorageKind.openCurrent(path: db)
        #expect(try await reopened.jobItems(jobID: job.id).isEmpty)
        // Unfinished jobs are never deleted, however old; finished ones are.
        try await reopened.insertJob(.init(id: "queued", kind: .backtests, requests: Array("[]".utf8), state: .queued, total: 0))
        try await reopened.insertJob(.init(id: "running", kind: .backtests, requests: Array("[]".utf8), state: .running, total: 0))
        try await reopened.insertJob(.init(id: "cancelled", kind: .backtests, requests: Array("[]".utf8), state: .queued, total: 0))
        #expect(try await reopened.finishJob(id: "cancelled", state: .cancelled))
        #expect(try await reopened.deleteFinishedJobs(endedBefore: 0).isEmpty)  // nothing that old
        #expect(try await reopened.deleteFinishedJobs(endedBefore: Date().timeIntervalSince1970 + 60) == ["cancelled"])
        #expect(try await reopened.job(id: "queued") != nil)
        #expect(try await reopened.job(id: "running") != nil)
        await reopened.close()
    }

    @Test("a database from before finished_at opens, gains the column, and keeps its jobs")
    func jobsTableMigration() async throws {
        let path = TestServer.temporaryDatabase()
        let old = try await SQLiteConnection.open(storage: .file(path: path), logger: Logger(label: "test.sqlite"))
        _ = try await old.query(
            "CREATE TABLE jobs (id TEXT PRIMARY KEY, requests BLOB NOT NULL, state TEXT NOT NULL, total INTEGER NOT NULL, created_at REAL NOT NULL)"
        )
        _ = try await old.query("INSERT INTO jobs VALUES ('old', x'5B5D', 'done', 0, 1000)")
        try await old.close()

        let database = try await ServerDatabase.open(path: path, logger: Logger(label: "test.db"))
        #expect(try await database.job(id: "old")?.state == .done)
        // Without finished_at it counts from created_at (1000 s after 1970).
        #expect(try await database.deleteFinishedJobs(endedBefore: 999).isEmpty)
        #expect(try await database.deleteFinishedJobs(endedBefore: 1001) == ["old"])
        await database.close()
    }
}
