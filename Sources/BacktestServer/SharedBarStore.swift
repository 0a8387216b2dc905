import BacktestEngine
import Logging
import MarketData
import PostgresNIO

/// The imported bars a cluster's nodes share, for `backtest data … --database`: an import or a
/// removal made with the command line reaches every node (each copies the shared set into its
/// own bar store, see ``SharedBarsReplica``).
///
/// ```swift
/// try await SharedBarStore.with(url: url) { shared in try await shared.put(entry, bars: bars) }
/// ```
public struct SharedBarStore: Sendable {
    private let storage: PostgresStorage

    /// Connects to `url` (migrating it if needed), runs `body`, and disconnects.
    ///
    /// - Throws: ``ServerError`` `database` when the database cannot be used; `body`'s errors.
    public static func with<T: Sendable>(url: DatabaseURL, logger: Logger, _ body: (SharedBarStore) async throws -> T) async throws -> T {
        let storage = try await PostgresStorage.prepare(url: url, logger: logger)
        return try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask { await storage.client.run() }
            defer { group.cancelAll() }
            return try await body(SharedBarStore(storage: storage))
        }
    }

    /// Shares an imported ticker's bars (replacing the shared copy).
    public func put(_ entry: CatalogEntry, bars: Bars) async throws {
        try await storage.putSharedBars(ticker: entry.ticker, source: entry.source, contentHash: entry.contentHash, bars: BarsCodec.encode(bars))
    }

    /// Stops sharing a ticker (every node removes its copy).
    public func remove(ticker: String) async throws {
        try await storage.removeSharedBars(ticker: ticker)
    }

    /// The shared tickers, with their content hashes.
    public func catalog() async throws -> [String: String] {
        try await storage.sharedBarsCatalog()
    }
}
