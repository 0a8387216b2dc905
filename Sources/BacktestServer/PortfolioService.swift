import BacktestAPI
import BacktestEngine
import BacktestJSON
import Foundation
import MarketData
import NIOConcurrencyHelpers

/// Runs portfolio backtests for the routes (`POST /v1/portfolios`): loads each ticker's bars,
/// simulates on a worker, and keeps recent replies by content (the request and the bars'
/// content hashes), so the same portfolio on the same data is answered from memory.
struct PortfolioService: Sendable {
    /// Where the bars come from.
    let store: any BarStore
    /// The CPU workers.
    let pool: WorkerPool
    /// Recent replies by content key.
    let cache: PortfolioReplyCache

    /// The reply's JSON bytes (``PortfolioReply``), or a `Problem`-mappable error: a
    /// ``BacktestError`` for bad input, a ``MarketDataError`` for an unknown ticker.
    func run(_ request: PortfolioRequest, admission: WorkerPool.Admission = .limited) async throws -> [UInt8] {
        try request.validate()
        let store = self.store
        let cache = self.cache.replies
        let outcome = try await pool.run(admission: admission) { () -> WorkerOutcome<[UInt8]> in
            do {
                return WorkerOutcome(result: .success(try Self.compute(request, store: store, cache: cache)))
            } catch {
                return WorkerOutcome(result: .failure(Problem(error)))
            }
        }
        return try outcome.result.get()
    }

    private static func compute(
        _ request: PortfolioRequest,
        store: any BarStore,
        cache: NIOLockedValueBox<LRUCache<String, [UInt8]>>
    ) throws -> [UInt8] {
        let range = try request.dateRange()
        var bars: [Bars] = []
        var hashes: [String] = []
        for ticker in request.tickers {
            let stored = try store.bars(for: ticker, from: range.start, through: range.end)
            bars.append(stored.bars)
            hashes.append(stored.contentHash)
        }
        let key = try cacheKey(request, hashes: hashes)
        if let hit = cache.withLockedValue({ $0.get(key) }) { return hit }
        let wanted = try request.includes()
        let result = try PortfolioBacktest(tickers: request.tickers, bars: bars, settings: request.settings)
            .run(recordWeights: wanted.weights)
        let bytes = PortfolioReply(result: result, includeEquity: wanted.equity, includeOrders: wanted.orders, includeWeights: wanted.weights)
            .jsonBytes()
        cache.withLockedValue { $0.set(key, bytes) }
        return bytes
    }

    /// The request in canonical JSON (sorted keys) and the bars' content hashes, hashed.
    static func cacheKey(_ request: PortfolioRequest, hashes: [String]) throws -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        var bytes = [UInt8](try encoder.encode(request))
        for hash in hashes { bytes += Array("|\(hash)".utf8) }
        return ContentHash.hex(of: bytes)
    }
}

/// Recent portfolio replies by content key, shared by every request of a server.
final class PortfolioReplyCache: Sendable {
    /// The most replies kept in memory.
    static let capacity = 256

    let replies = NIOLockedValueBox(LRUCache<String, [UInt8]>(capacity: PortfolioReplyCache.capacity))
}
