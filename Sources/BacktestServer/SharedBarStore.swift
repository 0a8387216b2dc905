import BacktestEngine
import Logging
import MarketData

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
        let storage = try await PostgresStorage.open(url: url, logger: logger)
        do {
            let result = try await body(SharedBarStore(storage: storage))
            await storage.close()
            return result
        } catch {
            await storage.close()
            throw error
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
