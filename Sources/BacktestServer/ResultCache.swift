import BacktestAPI
import Foundation
import Logging
import NIOConcurrencyHelpers
import ServiceLifecycle

/// Results of backtests by cache key: a bounded in-memory LRU in front of the SQLite
/// `results` table.
///
/// Lookups check memory, then the database. Stores go to memory at once and to the
/// database from a background writer (``run()``), batched, off the request path; the
/// writer flushes what is pending on graceful shutdown so a restart keeps every result.
/// The database keeps at most `storedLimit` results: beyond it the oldest stored are
/// deleted (memory keeps its own LRU bound).
final class ResultCache: Service, Sendable {
    private let memory: NIOLockedValueBox<LRUCache<String, BacktestReport>>
    private let pending = NIOLockedValueBox<[(key: String, report: BacktestReport)]>([])
    private let database: any ResultStore
    /// Whether the database answers now (a lookup skips it while not, rather than wait).
    private let databaseReachable: @Sendable () -> Bool
    private let wakeups: AsyncStream<Void>
    private let wake: AsyncStream<Void>.Continuation
    private let logger: Logger
    private let storedLimit: Int
    /// Rows in the database, counted from above (replaced rows count twice until a prune
    /// recounts).
    private let storedEstimate = NIOLockedValueBox<Int?>(nil)
    /// How long a lookup waits for the database before it counts as a miss (the backtest then
    /// runs): 2 s, far above a one-row read, and far below a request's patience.
    static let readDeadline = StorageDeadline(limit: .seconds(2))
    /// How long a batch write may take before its rows are dropped from the database's copy
    /// (memory keeps them): 10 s, so that a write stuck in an outage holds a shutdown briefly.
    static let writeDeadline = StorageDeadline(limit: .seconds(10))

    init(
        capacity: Int,
        storedLimit: Int = 100_000,
        database: any ResultStore,
        databaseReachable: @escaping @Sendable () -> Bool = { true },
        logger: Logger
    ) {
        self.databaseReachable = databaseReachable
        self.memory = NIOLockedValueBox(LRUCache(capacity: capacity))
        self.storedLimit = max(0, storedLimit)
        self.database = database
        self.logger = logger
        (wakeups, wake) = AsyncStream.makeStream(of: Void.self, bufferingPolicy: .bufferingNewest(1))
    }

    /// Entries in memory.
    var memoryCount: Int { memory.withLockedValue { $0.count } }

    /// The cached report for `key`, from memory or the database.
    func lookup(_ key: String) async -> BacktestReport? {
        if let hit = memory.withLockedValue({ $0.get(key) }) { return hit }
        if let queued = pending.withLockedValue({ rows in rows.last(where: { $0.key == key })?.report }) { return queued }
        guard databaseReachable() else { return nil }
        do {
            let database = self.database
            guard let bytes = try await Self.readDeadline.run("reading a cached result", { try await database.result(forKey: key) }) else {
                return nil
            }
            let report = try JSONDecoder().decode(BacktestReport.self, from: Data(bytes))
            memory.withLockedValue { $0.set(key, report) }
            return report
        } catch {
            logger.warning("cache read failed", metadata: ["error": "\(error)"])
            return nil
        }
    }

    /// Keeps `report` under `key` (memory now, database soon).
    func store(_ key: String, _ report: BacktestReport) {
        memory.withLockedValue { $0.set(key, report) }
        pending.withLockedValue { $0.append((key, report)) }
        wake.yield()
    }

    /// Writes pending rows until graceful shutdown, then flushes the rest.
    func run() async throws {
        await withGracefulShutdownHandler {
            for await _ in wakeups {
                await flush()
            }
        } onGracefulShutdown: {
            self.wake.finish()
        }
        await flush()
    }

    /// Writes every pending row now.
    func flush() async {
        let rows = pending.withLockedValue { rows in
            defer { rows.removeAll() }
            return rows
        }
        guard !rows.isEmpty else { return }
        let encoder = JSONEncoder()
        let encoded: [(key: String, report: [UInt8])] = rows.compactMap { row in
            (try? encoder.encode(row.report)).map { (row.key, Array($0)) }
        }
        do {
            let database = self.database
            try await Self.writeDeadline.run("writing cached results") { try await database.storeResults(encoded) }
        } catch {
            logger.error("cache write failed", metadata: ["error": "\(error)", "rows": "\(rows.count)"])
            return
        }
        let estimate = storedEstimate.withLockedValue { estimate -> Int? in
            if let known = estimate { estimate = known + encoded.count }
            return estimate
        }
        if estimate.map({ $0 > storedLimit }) ?? true { await prune() }
    }

    /// When the database holds more than the limit, deletes the oldest stored results down
    /// to 90 % of it (so the next prune is 10 % of the limit's writes away), and takes the
    /// count it read as the new estimate.
    func prune() async {
        do {
            let (removed, remaining) = try await database.pruneResults(above: storedLimit, keeping: storedLimit - storedLimit / 10)
            storedEstimate.withLockedValue { $0 = remaining }
            if removed > 0 {
                logger.info("pruned cached results", metadata: ["removed": "\(removed)", "kept": "\(remaining)"])
            }
        } catch {
            logger.error("cache prune failed", metadata: ["error": "\(error)"])
        }
    }
}
