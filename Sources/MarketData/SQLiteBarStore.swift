import BacktestEngine
import Foundation

/// A ``BarStore`` over bars imported into a SQLite database (the server's `--db` file).
///
/// Schema (created on open, next to the server's own tables):
/// - `market_bars(ticker, ts, open, high, low, close, volume)`, primary key
///   `(ticker, ts)` (`WITHOUT ROWID`, so a date range is one index seek and a scan of
///   exactly that range);
/// - `market_catalog(ticker PRIMARY KEY, source, first_ts, last_ts, bar_count,
///   content_hash, imported_at)`.
///
/// Imports replace a ticker's bars in one transaction and readers read the catalog row
/// and the bars in one read transaction, so in WAL mode a reader sees either the old
/// series or the new one, never a mix. Several processes may use the file at once (the
/// CLI imports while a server reads). Recently read ranges are kept in memory and served
/// again while the catalog's content hash is unchanged.
///
/// ```swift
/// let store = try SQLiteBarStore(configuration: .init(path: "backtest.sqlite"))
/// try store.replace(ticker: "GOOG", with: bars, source: "file GOOG.csv")
/// let year = try store.bars(for: "GOOG", from: start, through: end)
/// ```
public final class SQLiteBarStore: BarStore, @unchecked Sendable {
    /// Where the database is and how it is used.
    public struct Configuration: Sendable {
        /// The SQLite file (created with its folder if missing).
        public var path: String
        /// Read connections kept open for concurrent lookups. Default `4`.
        public var readConnections: Int
        /// Ranges kept in memory (served again while the ticker's content hash is
        /// unchanged); `0` turns the cache off. Default `256`.
        public var cachedRanges: Int
        /// How long a statement waits for another connection's lock. Default 5,000 ms.
        public var busyTimeoutMilliseconds: Int32

        /// Creates a configuration with the defaults above.
        public init(path: String, readConnections: Int = 4, cachedRanges: Int = 256, busyTimeoutMilliseconds: Int32 = 5_000) {
            self.path = path
            self.readConnections = max(1, readConnections)
            self.cachedRanges = max(0, cachedRanges)
            self.busyTimeoutMilliseconds = busyTimeoutMilliseconds
        }
    }

    /// A connection with its prepared statements.
    final class Connection {
        let handle: SQLiteHandle
        let begin: SQLiteHandle.Statement
        let commit: SQLiteHandle.Statement
        let catalogRow: SQLiteHandle.Statement
        let range: SQLiteHandle.Statement

        init(path: String, busyTimeoutMilliseconds: Int32) throws(MarketDataError) {
            handle = try SQLiteHandle(path: path, busyTimeoutMilliseconds: busyTimeoutMilliseconds)
            try SQLiteBarStore.migrate(handle)
            begin = try handle.prepare("BEGIN")
            commit = try handle.prepare("COMMIT")
            catalogRow = try handle.prepare(
                "SELECT ticker, source, first_ts, last_ts, bar_count, content_hash, imported_at FROM market_catalog WHERE ticker = ?1"
            )
            range = try handle.prepare(
                "SELECT ts, open, high, low, close, volume FROM market_bars WHERE ticker = ?1 AND ts BETWEEN ?2 AND ?3 ORDER BY ts"
            )
        }

        /// The catalog row of `ticker`.
        func entry(_ ticker: String) throws(MarketDataError) -> CatalogEntry? {
            var entry: CatalogEntry?
            catalogRow.bind(1, ticker)
            try handle.query(catalogRow) { row in entry = SQLiteBarStore.entry(row) }
            return entry
        }

        /// Runs `body` in one read (or, with `write`, immediate write) transaction.
        func transaction<T>(write: Bool = false, _ body: () throws(MarketDataError) -> T) throws(MarketDataError) -> T {
            if write { try handle.execute("BEGIN IMMEDIATE") } else { try handle.query(begin) }
            do {
                let value = try body()
                try handle.query(commit)
                return value
            } catch {
                try? handle.execute("ROLLBACK")
                throw error
            }
        }
    }

    /// A range read earlier, with the content hash it was read at.
    private struct CachedRange {
        var contentHash: String
        var bars: StoredBars
    }

    /// The configuration in use.
    public let configuration: Configuration
    private let lock = NSLock()
    private var idle: [Connection] = []
    private var cache: [String: CachedRange] = [:]
    private let writeLock = NSLock()
    private var writer: Connection?

    /// Opens the store, creating the file and the schema if needed.
    ///
    /// - Throws: ``MarketDataError`` `database` when the file cannot be opened.
    public init(configuration: Configuration) throws(MarketDataError) {
        self.configuration = configuration
        let folder = (configuration.path as NSString).deletingLastPathComponent
        if !folder.isEmpty, !FileManager.default.fileExists(atPath: folder) {
            do {
                try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
            } catch {
                throw MarketDataError(code: .database, message: "cannot create the folder: \(error.localizedDescription)", source: folder)
            }
        }
        idle.append(try Connection(path: configuration.path, busyTimeoutMilliseconds: configuration.busyTimeoutMilliseconds))
    }

    /// Opens the store at `path` with the default configuration.
    public convenience init(path: String) throws(MarketDataError) {
        try self.init(configuration: Configuration(path: path))
    }

    // MARK: - BarStore

    public func tickers() throws(MarketDataError) -> [TickerSummary] {
        try catalog().map(\.summary)
    }

    public func bars(for ticker: String, from start: Int64?, through end: Int64?) throws(MarketDataError) -> StoredBars {
        let symbol = try Self.symbol(ticker)
        let key = "\(symbol)|\(start.map(String.init) ?? "")|\(end.map(String.init) ?? "")"
        return try withReader { (connection) throws(MarketDataError) -> StoredBars in
            if configuration.cachedRanges > 0, let cached = cachedRange(key) {
                // One indexed catalog read tells whether the cached copy is still current.
                if let entry = try connection.entry(symbol), entry.contentHash == cached.contentHash { return cached.bars }
            }
            // A ticker not imported here: one indexed catalog read and no transaction (a layered
            // store asks this store first for every backtest, bundled tickers included).
            guard try connection.entry(symbol) != nil else { throw unknownTicker(symbol) }
            let stored = try connection.transaction { () throws(MarketDataError) -> StoredBars in
                guard let entry = try connection.entry(symbol) else { throw unknownTicker(symbol) }
                let bars = try Self.readRange(connection, symbol, start ?? Int64.min, end ?? Int64.max)
                return StoredBars(ticker: symbol, bars: bars, contentHash: entry.contentHash, summary: entry.summary)
            }
            remember(key, CachedRange(contentHash: stored.contentHash, bars: stored))
            return stored
        }
    }

    // MARK: - Catalog

    /// Every imported ticker, sorted by symbol.
    public func catalog() throws(MarketDataError) -> [CatalogEntry] {
        try withReader { (connection) throws(MarketDataError) -> [CatalogEntry] in
            let statement = try connection.handle.prepare(
                "SELECT ticker, source, first_ts, last_ts, bar_count, content_hash, imported_at FROM market_catalog ORDER BY ticker"
            )
            var out: [CatalogEntry] = []
            try connection.handle.query(statement) { row in
                if let entry = Self.entry(row) { out.append(entry) }
            }
            return out
        }
    }

    /// The catalog entry of `ticker`, or `nil` when it was never imported.
    public func entry(for ticker: String) throws(MarketDataError) -> CatalogEntry? {
        let symbol = try Self.symbol(ticker)
        return try withReader { (connection) throws(MarketDataError) -> CatalogEntry? in try connection.entry(symbol) }
    }

    // MARK: - Writing

    /// Replaces every bar of `ticker` with `bars` in one transaction (readers see the old
    /// series until the commit, then the new one).
    ///
    /// - Returns: the new catalog entry and the number of bars it replaced.
    @discardableResult
    public func replace(ticker: String, with bars: Bars, source: String) throws(MarketDataError) -> (entry: CatalogEntry, replaced: Int) {
        let symbol = try Self.symbol(ticker)
        guard let first = bars.timestamps.first, let last = bars.timestamps.last else {
            throw MarketDataError(code: .empty, message: "no bars to import", source: source)
        }
        let entry = CatalogEntry(
            ticker: symbol,
            source: source,
            first: first,
            last: last,
            count: bars.count,
            contentHash: BarsDigest.hex(of: bars),
            importedAt: Date().timeIntervalSince1970
        )
        let replaced = try withWriter { (connection) throws(MarketDataError) -> Int in
            let handle = connection.handle
            return try connection.transaction(write: true) { () throws(MarketDataError) -> Int in
                let previous = try connection.entry(symbol)?.count ?? 0
                let delete = try handle.prepare("DELETE FROM market_bars WHERE ticker = ?1")
                delete.bind(1, symbol)
                try handle.query(delete)
                let insert = try handle.prepare(
                    "INSERT INTO market_bars (ticker, ts, open, high, low, close, volume) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)"
                )
                for i in 0..<bars.count {
                    insert.bind(1, symbol)
                    insert.bind(2, bars.timestamps[i])
                    insert.bind(3, bars.open[i])
                    insert.bind(4, bars.high[i])
                    insert.bind(5, bars.low[i])
                    insert.bind(6, bars.close[i])
                    insert.bind(7, bars.volume[i])
                    try handle.query(insert)
                }
                let upsert = try handle.prepare(
                    "INSERT OR REPLACE INTO market_catalog (ticker, source, first_ts, last_ts, bar_count, content_hash, imported_at) "
                        + "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)"
                )
                upsert.bind(1, symbol)
                upsert.bind(2, source)
                upsert.bind(3, first)
                upsert.bind(4, last)
                upsert.bind(5, Int64(bars.count))
                upsert.bind(6, entry.contentHash)
                upsert.bind(7, entry.importedAt)
                try handle.query(upsert)
                return previous
            }
        }
        forget(symbol)
        return (entry, replaced)
    }

    /// Removes `ticker` and its bars in one transaction.
    ///
    /// - Returns: the removed entry, or `nil` when the ticker was not imported.
    @discardableResult
    public func remove(ticker: String) throws(MarketDataError) -> CatalogEntry? {
        let symbol = try Self.symbol(ticker)
        let removed = try withWriter { (connection) throws(MarketDataError) -> CatalogEntry? in
            let handle = connection.handle
            return try connection.transaction(write: true) { () throws(MarketDataError) -> CatalogEntry? in
                guard let entry = try connection.entry(symbol) else { return nil }
                for sql in ["DELETE FROM market_bars WHERE ticker = ?1", "DELETE FROM market_catalog WHERE ticker = ?1"] {
                    let statement = try handle.prepare(sql)
                    statement.bind(1, symbol)
                    try handle.query(statement)
                }
                return entry
            }
        }
        forget(symbol)
        return removed
    }

    // MARK: - Helpers

    static func migrate(_ handle: SQLiteHandle) throws(MarketDataError) {
        try handle.execute("PRAGMA journal_mode=WAL")
        try handle.execute("PRAGMA synchronous=NORMAL")
        try handle.execute(
            """
            CREATE TABLE IF NOT EXISTS market_bars (
                ticker TEXT NOT NULL, ts INTEGER NOT NULL,
                open REAL NOT NULL, high REAL NOT NULL, low REAL NOT NULL, close REAL NOT NULL, volume REAL,
                PRIMARY KEY (ticker, ts)) WITHOUT ROWID;
            CREATE TABLE IF NOT EXISTS market_catalog (
                ticker TEXT PRIMARY KEY, source TEXT NOT NULL, first_ts INTEGER NOT NULL, last_ts INTEGER NOT NULL,
                bar_count INTEGER NOT NULL, content_hash TEXT NOT NULL, imported_at REAL NOT NULL);
            """
        )
    }

    static func entry(_ row: SQLiteHandle.Statement) -> CatalogEntry? {
        CatalogEntry(
            ticker: row.text(0),
            source: row.text(1),
            first: row.int64(2),
            last: row.int64(3),
            count: Int(row.int64(4)),
            contentHash: row.text(5),
            importedAt: row.double(6)
        )
    }

    private static func readRange(_ connection: Connection, _ symbol: String, _ start: Int64, _ end: Int64) throws(MarketDataError) -> Bars {
        var t: [Int64] = []
        var o: [Double] = []
        var h: [Double] = []
        var l: [Double] = []
        var c: [Double] = []
        var v: [Double] = []
        let statement = connection.range
        statement.bind(1, symbol)
        statement.bind(2, start)
        statement.bind(3, end)
        try connection.handle.query(statement) { row in
            t.append(row.int64(0))
            o.append(row.double(1))
            h.append(row.double(2))
            l.append(row.double(3))
            c.append(row.double(4))
            v.append(row.double(5))
        }
        do {
            return try Bars(timestamps: t, open: o, high: h, low: l, close: c, volume: v)
        } catch {
            throw MarketDataError(code: .database, message: "stored bars of \(symbol) are invalid: \(error.message)", source: connection.handle.path)
        }
    }

    /// `ticker` as stored (upper-cased), checked against the ticker pattern.
    ///
    /// - Throws: ``MarketDataError`` `invalid_ticker` naming the ticker.
    package static func symbol(_ ticker: String) throws(MarketDataError) -> String {
        guard MarketDataError.isValidTicker(ticker) else {
            throw MarketDataError(
                code: .invalidTicker,
                message: "'\(ticker.prefix(40))' is not a ticker symbol (letters, digits, '.', '-', '_', '^', '='; at most 32)",
                source: "ticker"
            )
        }
        return ticker.uppercased()
    }

    private func unknownTicker(_ symbol: String) -> MarketDataError {
        MarketDataError(
            code: .unknownTicker,
            message: "'\(symbol)' is not imported in \(configuration.path); import it with 'backtest data import FILE.csv --ticker \(symbol)'",
            source: "ticker"
        )
    }

    private func withReader<T>(_ body: (Connection) throws(MarketDataError) -> T) throws(MarketDataError) -> T {
        lock.lock()
        let pooled = idle.popLast()
        lock.unlock()
        let connection: Connection
        if let pooled {
            connection = pooled
        } else {
            connection = try Connection(path: configuration.path, busyTimeoutMilliseconds: configuration.busyTimeoutMilliseconds)
        }
        defer {
            lock.lock()
            if idle.count < configuration.readConnections { idle.append(connection) }
            lock.unlock()
        }
        return try body(connection)
    }

    private func withWriter<T>(_ body: (Connection) throws(MarketDataError) -> T) throws(MarketDataError) -> T {
        writeLock.lock()
        defer { writeLock.unlock() }
        if writer == nil {
            writer = try Connection(path: configuration.path, busyTimeoutMilliseconds: configuration.busyTimeoutMilliseconds)
        }
        guard let writer else { throw MarketDataError(code: .database, message: "no connection", source: configuration.path) }
        return try body(writer)
    }

    private func cachedRange(_ key: String) -> CachedRange? {
        lock.lock()
        defer { lock.unlock() }
        return cache[key]
    }

    private func remember(_ key: String, _ range: CachedRange) {
        // Only ranges of backtest size: a cache of whole minute-bar histories would hold gigabytes.
        guard configuration.cachedRanges > 0, range.bars.bars.count <= 20_000 else { return }
        lock.lock()
        defer { lock.unlock() }
        if cache.count >= configuration.cachedRanges { cache.removeAll(keepingCapacity: true) }
        cache[key] = range
    }

    private func forget(_ symbol: String) {
        lock.lock()
        defer { lock.unlock() }
        cache = cache.filter { !$0.key.hasPrefix(symbol + "|") }
    }
}
