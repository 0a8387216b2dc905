import BacktestAPI
import Foundation
import Logging
import NIOHTTP1
import PostgresNIO
import Testing

@testable import BacktestServer

/// One suite for every storage role (``ResultStore``, ``JobStore``, ``JobItemStore``,
/// ``WorkQueue``, ``ClusterRegistry``): the embedded SQLite file and PostgreSQL.
@Suite(.serialized) struct StorageTests {
    @Test(
        "PostgreSQL is configured for these tests (skipped, with this name, when BACKTEST_TEST_POSTGRES_URL is unset)",
        .enabled(
            if: StorageKind.postgresURL != nil,
            "set BACKTEST_TEST_POSTGRES_URL (eval \"$(bash .ci/postgres.sh start)\") to run the suites on PostgreSQL too"
        )
    )
    func postgresIsConfigured() async throws {
        let storage = try await StorageKind.postgres.open()
        #expect(try await storage.resultCount() == 0)
        await storage.close()
    }

    @Test("results: stored, replaced, counted; pruning drops the oldest insertions", arguments: StorageKind.available)
    func results(kind: StorageKind) async throws {
        let storage = try await kind.open()
        try await storage.storeResults((0..<12).map { (key: "k\($0)", report: Array("r\($0)".utf8)) })
        #expect(try await storage.resultCount() == 12)
        #expect(try await storage.result(forKey: "k3") == Array("r3".utf8))
        #expect(try await storage.result(forKey: "nope") == nil)
        // k0 stored again counts as new: the prune keeps it and drops k1, k2, k3.
        try await storage.storeResults([(key: "k0", report: Array("again".utf8)), (key: "k0", report: Array("last".utf8))])
        #expect(try await storage.result(forKey: "k0") == Array("last".utf8))
        let (removed, remaining) = try await storage.pruneResults(above: 10, keeping: 9)
        #expect(removed == 3 && remaining == 9)
        #expect(try await storage.result(forKey: "k0") == Array("last".utf8))
        for key in ["k1", "k2", "k3"] { #expect(try await storage.result(forKey: key) == nil) }
        let again = try await storage.pruneResults(above: 10, keeping: 9)
        #expect(again.removed == 0 && again.remaining == 9)
        await storage.close()
    }

    @Test("jobs and items: an item is stored once, listings and expiry", arguments: StorageKind.available)
    func jobs(kind: StorageKind) async throws {
        let storage = try await kind.open()
        try await storage.insertJob(StoredJob(id: "a", kind: .backtests, requests: Array("[1]".utf8), state: .queued, total: 3))
        try await Task.sleep(for: .milliseconds(20))
        try await storage.insertJob(StoredJob(id: "b", kind: .optimization, requests: Array("{}".utf8), state: .running, total: 2))
        #expect(try await storage.unfinishedJobs().map(\.id) == ["a", "b"])
        try await storage.complete([FinishedItem(jobID: "a", index: 2, item: Array("two".utf8))])
        try await storage.complete([FinishedItem(jobID: "a", index: 0, item: Array("zero".utf8))])
        try await storage.complete([FinishedItem(jobID: "a", index: 0, item: Array("zero again".utf8))])
        let items = try await storage.jobItems(jobID: "a")
        #expect(items.map(\.index) == [0, 2])
        #expect(items.first?.item == Array("zero".utf8))
        let job = try #require(try await storage.job(id: "b"))
        #expect(job.kind == .optimization && job.requests == Array("{}".utf8) && job.total == 2 && job.state == .running)
        #expect(try await storage.job(id: "c") == nil)
        #expect(try await storage.jobHeader(id: "b") == StoredJobHeader(kind: .optimization, state: .running, total: 2))
        #expect(try await storage.jobHeader(id: "c") == nil)
        let recent = try await storage.recentJobs(limit: 5)
        #expect(recent.map(\.id) == ["b", "a"])
        #expect(recent.map(\.finished) == [0, 2])

        #expect(try await storage.jobCounts() == [.queued: 1, .running: 1])
        #expect(try await storage.finishJob(id: "a", state: .done))
        #expect(try await storage.jobCounts() == [.running: 1])
        #expect(try await storage.unfinishedJobs().map(\.id) == ["b"])
        #expect(try await storage.deleteFinishedJobs(endedBefore: 0).isEmpty)
        #expect(try await storage.deleteFinishedJobs(endedBefore: Date().timeIntervalSince1970 + 60) == ["a"])
        #expect(try await storage.job(id: "a") == nil)
        #expect(try await storage.jobItems(jobID: "a").isEmpty)
        #expect(try await storage.job(id: "b") != nil)
        await storage.close()
    }

    @Test("a state or kind the server does not know is an error naming it, never a default", arguments: StorageKind.available)
    func unknownValues(kind: StorageKind) async throws {
        let storage = try await kind.open()
        try await storage.insertJob(StoredJob(id: "s", kind: .backtests, requests: Array("[]".utf8), state: .queued, total: 1))
        try await storage.insertJob(StoredJob(id: "k", kind: .backtests, requests: Array("[]".utf8), state: .queued, total: 1))
        try await storage.execute("UPDATE jobs SET state = 'paused' WHERE id = 's'")
        try await storage.execute("UPDATE jobs SET kind = 'portfolio_search' WHERE id = 'k'")
        let state = await #expect(throws: StorageError.self) { try await storage.jobHeader(id: "s") }
        #expect(state?.message.contains("jobs.state holds 'paused'") == true, "\(String(describing: state))")
        let kindError = await #expect(throws: StorageError.self) { try await storage.job(id: "k") }
        #expect(kindError?.message.contains("jobs.kind holds 'portfolio_search'") == true, "\(String(describing: kindError))")
        await #expect(throws: StorageError.self) { try await storage.recentJobs(limit: 10) }
        await #expect(throws: StorageError.self) { try await storage.unfinishedJobs() }
        await storage.close()
    }

    @Test("a job is created whole: its decided items and its queued work with it; all decided is stored done", arguments: StorageKind.available)
    func createWhole(kind: StorageKind) async throws {
        let storage = try await kind.open()
        let failed = FinishedItem(jobID: "c", index: 1, item: Array("{\"index\":1}".utf8))
        try await storage.insertJob(StoredJob(id: "c", kind: .backtests, requests: [], state: .queued, total: 3), finished: [failed], queued: [0, 2])
        #expect(try await storage.jobHeader(id: "c") == StoredJobHeader(kind: .backtests, state: .queued, total: 3))
        #expect(try await storage.finishedIndices(jobID: "c") == [1])
        #expect(try await storage.claim(node: "A", limit: 10, leaseSeconds: 30).map(\.index) == [0, 2])

        let items = [0, 1].map { FinishedItem(jobID: "d", index: $0, item: Array("{\"index\":\($0)}".utf8)) }
        try await storage.insertJob(StoredJob(id: "d", kind: .optimization, requests: [], state: .done, total: 2), finished: items, queued: [])
        #expect(try await storage.jobHeader(id: "d") == StoredJobHeader(kind: .optimization, state: .done, total: 2))
        #expect(try await storage.jobItems(jobID: "d").map(\.item) == items.map(\.item))
        #expect(try await storage.claim(node: "A", limit: 10, leaseSeconds: 30).isEmpty)
        // Ended at creation, so retention counts from then.
        #expect(try await storage.deleteFinishedJobs(endedBefore: Date().timeIntervalSince1970 + 1) == ["d"])
        await storage.close()
    }

    @Test(
        "PostgreSQL: a create whose last statement fails leaves nothing behind (one transaction)",
        .enabled(if: StorageKind.postgresURL != nil, "needs BACKTEST_TEST_POSTGRES_URL")
    )
    func createRollsBack() async throws {
        let storage = try await StorageKind.postgres.open()
        let failed = FinishedItem(jobID: "r", index: 0, item: Array("{}".utf8))
        // An index beyond PostgreSQL's int fails the queue statement, after the job and its item.
        await #expect(throws: (any Error).self) {
            try await storage.insertJob(
                StoredJob(id: "r", kind: .backtests, requests: [], state: .queued, total: 2),
                finished: [failed],
                queued: [1, 3_000_000_000]
            )
        }
        #expect(try await storage.jobHeader(id: "r") == nil)
        #expect(try await storage.finishedIndices(jobID: "r").isEmpty)
        #expect(try await storage.claim(node: "A", limit: 10, leaseSeconds: 30).isEmpty)
        await storage.close()
    }

    @Test(
        "the work queue: claims with leases, expired leases reclaimed, results once, nothing stored for an ended job",
        arguments: StorageKind.available
    )
    func queue(kind: StorageKind) async throws {
        let storage = try await kind.open()
        try await storage.insertJob(StoredJob(id: "q", kind: .backtests, requests: [], state: .queued, total: 4))
        try await storage.enqueue(jobID: "q", indices: [0, 1, 2, 3])
        try await storage.enqueue(jobID: "q", indices: [1])  // already queued: left alone
        let a = try await storage.claim(node: "A", limit: 3, leaseSeconds: 2)
        #expect(a.map(\.index) == [0, 1, 2] && a.allSatisfy { !$0.reclaimed })
        #expect(try await storage.jobHeader(id: "q")?.state == .running)
        let b = try await storage.claim(node: "B", limit: 3, leaseSeconds: 30)
        #expect(b.map(\.index) == [3])
        // Items 0-2 are still claimed: the job is not drained.
        #expect(try await storage.complete([FinishedItem(jobID: "q", index: 3, item: [3])]).isEmpty)
        // A stops extending its leases: once they expire (2 s on the database's clock, the one
        // clock every node shares; shorter leases made B's first claim race them on a loaded
        // machine), B takes its items over.
        try await Task.sleep(for: .milliseconds(2_300))
        let taken = try await storage.claim(node: "B", limit: 10, leaseSeconds: 30)
        #expect(taken.map(\.index) == [0, 1, 2] && taken.allSatisfy(\.reclaimed))
        #expect(try await storage.complete([FinishedItem(jobID: "q", index: 0, item: [0]), FinishedItem(jobID: "q", index: 1, item: [1])]).isEmpty)
        // A's late result for item 0 is ignored; the first stays.
        try await storage.complete([FinishedItem(jobID: "q", index: 0, item: [99])])
        #expect(try await storage.jobItems(jobID: "q").map(\.item) == [[0], [1], [3]])
        #expect(try await storage.finishedCount(jobID: "q") == 3)
        #expect(try await storage.finishedIndices(jobID: "q") == [0, 1, 3])
        #expect(try await storage.finishedIndices(jobID: "nope").isEmpty)
        #expect(try await storage.finishedCount(jobID: "nope") == 0)
        #expect(try await storage.hasQueuedItems(jobID: "q"))
        let status = try await storage.clusterStatus(since: 0)
        #expect(status.queued == 0 && status.claimed == 1)
        // Cancelled: queue emptied, a result arriving afterwards is not stored.
        #expect(try await storage.finishJob(id: "q", state: .cancelled))
        #expect(try await !storage.finishJob(id: "q", state: .done))
        try await storage.dequeue(jobID: "q")
        #expect(try await storage.complete([FinishedItem(jobID: "q", index: 2, item: [2])]) == ["q"])
        #expect(try await storage.jobItems(jobID: "q").count == 3)
        #expect(try await !storage.hasQueuedItems(jobID: "q"))
        #expect(try await storage.jobItems(jobID: "q", after: 0).map(\.index) == [3, 0, 1])
        await storage.close()
    }

    @Test(
        "leases are extended only for the items a node names, and only while that node holds them",
        arguments: StorageKind.available
    )
    func leasesOfHeldItems(kind: StorageKind) async throws {
        let storage = try await kind.open()
        try await storage.insertJob(StoredJob(id: "l", kind: .backtests, requests: [], state: .queued, total: 4), finished: [], queued: [0, 1, 2, 3])
        #expect(try await storage.claim(node: "A", limit: 3, leaseSeconds: 2).map(\.index) == [0, 1, 2])
        #expect(try await storage.claim(node: "B", limit: 3, leaseSeconds: 2).map(\.index) == [3])
        // A still holds 0 and 1; it lost track of 2; 3 is B's; an item of an unknown job and
        // an empty list change nothing.
        let named = [0, 1, 3].map { ItemKey(jobID: "l", index: $0) } + [ItemKey(jobID: "other", index: 0)]
        try await storage.extendLeases(node: "A", items: named, leaseSeconds: 30)
        try await storage.extendLeases(node: "B", items: [], leaseSeconds: 30)
        try await Task.sleep(for: .milliseconds(2_300))
        let taken = try await storage.claim(node: "C", limit: 10, leaseSeconds: 30)
        #expect(taken.map(\.index) == [2, 3] && taken.allSatisfy(\.reclaimed))
        await storage.close()
    }

    @Test(
        "many rows: writes and lists longer than one statement takes (the SQLite store's 200) keep every row and its order",
        arguments: StorageKind.available
    )
    func manyRows(kind: StorageKind) async throws {
        let storage = try await kind.open()
        let n = 3 * ServerDatabase.rowsPerStatement + 17
        try await storage.storeResults((0..<n).map { (key: "k\($0)", report: Array("r\($0)".utf8)) })
        #expect(try await storage.resultCount() == n)
        #expect(try await storage.result(forKey: "k\(n - 1)") == Array("r\(n - 1)".utf8))
        // Stored in the given order: pruning drops the first ten.
        let pruned = try await storage.pruneResults(above: n - 1, keeping: n - 10)
        #expect(pruned.removed == 10 && pruned.remaining == n - 10)
        #expect(try await storage.result(forKey: "k9") == nil)
        #expect(try await storage.result(forKey: "k10") == Array("r10".utf8))
        // The odd items decided at creation, the even ones queued.
        let decided = (0..<n).map { FinishedItem(jobID: "m", index: 2 * $0 + 1, item: Array("\(2 * $0 + 1)".utf8)) }
        let queued = (0..<n).map { 2 * $0 }
        try await storage.insertJob(
            StoredJob(id: "m", kind: .backtests, requests: [], state: .queued, total: 2 * n),
            finished: decided,
            queued: queued
        )
        #expect(try await storage.finishedIndices(jobID: "m") == decided.map(\.index))
        // A claims them all on a lease that runs out at once, then extends it for every one.
        let claimed = try await storage.claim(node: "A", limit: 2 * n, leaseSeconds: -1)
        #expect(claimed.map(\.index) == queued)
        try await storage.extendLeases(node: "A", items: claimed.map { ItemKey(jobID: "m", index: $0.index) }, leaseSeconds: 30)
        #expect(try await storage.claim(node: "B", limit: 10, leaseSeconds: 30).isEmpty)
        let results = queued.map { FinishedItem(jobID: "m", index: $0, item: Array("\($0)".utf8)) }
        #expect(try await storage.complete(results) == ["m"])
        #expect(try await !storage.hasQueuedItems(jobID: "m"))
        let stored = try await storage.jobItems(jobID: "m")
        #expect(stored.count == 2 * n)
        #expect(stored.allSatisfy { $0.item == Array("\($0.index)".utf8) })
        // Queued again (as after a restart of the job): every index, none twice.
        try await storage.enqueue(jobID: "m", indices: queued + queued)
        #expect(try await storage.claim(node: "B", limit: 2 * n, leaseSeconds: 30).map(\.index) == queued)
        await storage.close()
    }

    @Test(
        "nodes storing a job's last items at the same moment: at least one of them sees it drained, so the job ends",
        arguments: StorageKind.available
    )
    func lastItemsAtOnce(kind: StorageKind) async throws {
        let storage = try await kind.open()
        for round in 0..<20 {
            let id = "r\(round)"
            try await storage.insertJob(StoredJob(id: id, kind: .backtests, requests: [], state: .queued, total: 2), finished: [], queued: [0, 1])
            #expect(try await storage.claim(node: "A", limit: 2, leaseSeconds: 30).map(\.index) == [0, 1])
            // Two stores at once (on PostgreSQL, on two connections, as two nodes would).
            async let first = storage.complete([FinishedItem(jobID: id, index: 0, item: [0])])
            async let second = storage.complete([FinishedItem(jobID: id, index: 1, item: [1])])
            let seen = try await [first, second]
            #expect(seen.contains([id]), "round \(round): \(seen)")
            #expect(try await !storage.hasQueuedItems(jobID: id))
            #expect(try await storage.finishedIndices(jobID: id) == [0, 1])
        }
        await storage.close()
    }

    @Test(
        "deleting a job, whatever its state: gone with its items and its queue; a claimed item's late result is not stored",
        arguments: StorageKind.available
    )
    func deleteJob(kind: StorageKind) async throws {
        let storage = try await kind.open()
        try await storage.insertJob(StoredJob(id: "d", kind: .backtests, requests: Array("[1]".utf8), state: .queued, total: 4))
        try await storage.insertJob(StoredJob(id: "kept", kind: .backtests, requests: [], state: .queued, total: 1))
        try await storage.enqueue(jobID: "d", indices: [0, 1, 2, 3])
        try await storage.enqueue(jobID: "kept", indices: [0])
        let claimed = try await storage.claim(node: "A", limit: 2, leaseSeconds: 30)
        #expect(claimed.map(\.jobID) == ["d", "d"])
        try await storage.complete([FinishedItem(jobID: "d", index: 0, item: [0])])
        #expect(try await storage.deleteJob(id: "d"))
        #expect(try await storage.job(id: "d") == nil)
        #expect(try await storage.jobHeader(id: "d") == nil)
        #expect(try await storage.jobItems(jobID: "d").isEmpty)
        #expect(try await storage.finishedCount(jobID: "d") == 0)
        #expect(try await !storage.hasQueuedItems(jobID: "d"))
        #expect(try await !storage.recentJobs(limit: 10).map(\.id).contains("d"))
        // Node A finishes the item it held: nothing of a deleted job is stored.
        try await storage.complete([FinishedItem(jobID: "d", index: 1, item: [1])])
        #expect(try await storage.jobItems(jobID: "d").isEmpty)
        // No node claims its work any more; the other job's is untouched.
        let next = try await storage.claim(node: "B", limit: 10, leaseSeconds: 30)
        #expect(next.map(\.jobID) == ["kept"])
        #expect(try await !storage.deleteJob(id: "d"))
        // An ended job is deleted too.
        #expect(try await storage.finishJob(id: "kept", state: .done))
        #expect(try await storage.deleteJob(id: "kept"))
        #expect(try await storage.job(id: "kept") == nil)
        await storage.close()
    }

    @Test(
        "PostgreSQL: nodes starting together migrate once; a schema newer than the binary is refused",
        .enabled(if: StorageKind.postgresURL != nil, "needs BACKTEST_TEST_POSTGRES_URL")
    )
    func migrations() async throws {
        let (_, url) = try await StorageKind.postgres.freshDatabase()
        let target = try #require(url)
        // Three nodes at once: one takes the lock and migrates, the others find it done.
        try await withThrowingTaskGroup(of: Void.self) { group in
            for _ in 0..<3 {
                group.addTask {
                    let storage = try await PostgresStorage.open(url: target, logger: Logger(label: "test.pg"))
                    await storage.close()
                }
            }
            try await group.waitForAll()
        }
        let versions = try await StorageKind.withAdmin(url: target) { client in
            var versions: [Int] = []
            for try await v in try await client.query("SELECT version FROM backtest_schema ORDER BY version").decode(Int.self) { versions.append(v) }
            try await client.query("INSERT INTO backtest_schema (version) VALUES (\(PostgresMigrations.latest + 1))")
            return versions
        }
        #expect(versions == Array(1...PostgresMigrations.latest))
        let refusal = await Self.openingError(target)
        #expect(refusal?.message.contains("newer than this binary's") == true, "\(String(describing: refusal))")
    }

    @Test(
        "database URLs: the parts, the defaults, and errors that name the part",
        arguments: [
            ("postgres://u:secret@db.example:6543/bt?sslmode=require", "db.example", 6543, "bt", DatabaseURL.TLSMode.require, nil),
            ("postgresql://u@127.0.0.1/bt", "127.0.0.1", 5432, "bt", .prefer, nil),
            ("postgres://u@/bt?host=/run/postgresql&sslmode=disable", nil, 5432, "bt", .disable, "/run/postgresql"),
        ] as [(String, String?, Int, String, DatabaseURL.TLSMode, String?)]
    )
    func urls(text: String, host: String?, port: Int, database: String, tls: DatabaseURL.TLSMode, socket: String?) throws {
        let url = try DatabaseURL(parsing: text)
        #expect(url.host == host && url.port == port && url.database == database && url.tls == tls && url.socketDirectory == socket)
        #expect(!url.description.contains("secret"))
    }

    @Test(
        "bad database URLs are refused, naming the part",
        arguments: [
            ("mysql://u@h/db", "scheme"), ("postgres://h/db", "user"), ("postgres://u@h", "database"),
            ("postgres://u@h/db?sslmode=maybe", "sslmode"), ("postgres://u@h/db?x=1", "unknown parameter"), ("postgres://u@/db", "no host"),
            ("postgres://u@h:70000/db", "port"),
        ]
    )
    func badURLs(text: String, part: String) {
        #expect(throws: ServerError.self) { try DatabaseURL(parsing: text) }
        do {
            _ = try DatabaseURL(parsing: text)
        } catch {
            #expect(error.message.contains(part), "\(error.message)")
        }
    }

    @Test(
        "a server on PostgreSQL: a cache hit and a finished job survive a restart, a search resumes",
        .enabled(if: StorageKind.postgresURL != nil, "needs BACKTEST_TEST_POSTGRES_URL")
    )
    func serverOnPostgres() async throws {
        let (path, url) = try await StorageKind.postgres.freshDatabase()
        func start() async throws -> TestServer {
            try await TestServer.start {
                $0.databasePath = path
                $0.databaseURL = url
                $0.workers = 1
                $0.itemConcurrency = 1
            }
        }
        let first = try await start()
        let body = #"{"ticker":"AAPL","start":"2020-01-01","end":"2020-12-31","strategy":"sma_cross"}"#
        #expect(try await first.send(.POST, "/v1/backtests", json: body).decode(BacktestReply.self).cached == false)
        let job = try await first.send(.POST, "/v1/jobs", json: #"{"tickers":["AAPL","MSFT"],"strategy":"rsi_reversion"}"#).decode(JobCreated.self)
        #expect(parseEvents(try await first.send(.GET, job.eventsUrl).text).last?.name == "done")
        let search = try await first.send(
            .POST,
            "/v1/optimizations",
            json: #"{"backtest":{"ticker":"GOOG","strategy":"sma_cross"},"grid":["fast=2..41:1","slow=50..89:1"]}"#
        ).decode(JobCreated.self)
        try await first.stop()

        let second = try await start()
        // Flushed to PostgreSQL at shutdown: a hit after the restart.
        #expect(try await second.send(.POST, "/v1/backtests", json: body).decode(BacktestReply.self).cached == true)
        let status = try await second.send(.GET, job.statusUrl).decode(JobStatus.self)
        #expect(status.status == .done && status.results?.compactMap { $0.result?.ticker } == ["AAPL", "MSFT"])
        #expect(parseEvents(try await second.send(.GET, search.eventsUrl).text).last?.name == "done")
        let result = try await second.send(.GET, search.statusUrl).decode(OptimizationStatus.self)
        #expect(result.status == .done && result.progress == JobProgress(done: 1_600, total: 1_600))
        try await second.stop()
    }
}

extension StorageTests {
    /// Why opening `url` fails, or `nil` when it opens.
    static func openingError(_ url: DatabaseURL) async -> ServerError? {
        do {
            let storage = try await PostgresStorage.open(url: url, logger: Logger(label: "test.pg"))
            await storage.close()
            return nil
        } catch {
            return error
        }
    }
}

extension StorageKind {
    /// Runs `body` with a client on `url`'s database.
    static func withAdmin<T: Sendable>(url: DatabaseURL, _ body: (PostgresClient) async throws -> T) async throws -> T {
        let client = PostgresClient(configuration: PostgresStorage.configuration(url), backgroundLogger: Logger(label: "test.pg"))
        let task = Task { await client.run() }
        defer { task.cancel() }
        return try await body(client)
    }
}
