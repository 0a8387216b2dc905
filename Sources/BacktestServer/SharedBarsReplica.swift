import Foundation
import Logging
import MarketData
import ServiceLifecycle

/// Keeps this node's imported bars equal to the set its cluster shares (PostgreSQL): a ticker
/// uploaded or removed through any node reaches every node's own bar store, where backtests
/// read it (locally, synchronously, as any imported ticker).
///
/// At start, tickers imported here but not yet shared are shared; then every change announced
/// (`bars:TICKER`), and every few seconds anyway, the shared catalog is compared with the local
/// one by content hash and what differs is copied. A ticker disappears locally once it was
/// shared and is no longer (removed through another node).
struct SharedBarsReplica: Service {
    let storage: any SharedBarStorage
    let importer: BarImporter
    let logger: Logger
    /// The longest time between two comparisons. Default 5 s.
    var interval: Duration = .seconds(5)

    func run() async throws {
        let wake = WakeSignal()
        await withTaskGroup(of: Void.self) { group in
            group.addTask {
                for await change in storage.changes() where change.hasPrefix("bars:") { wake.signal() }
            }
            group.addTask {
                var known = Set<String>()
                await shareLocalOnly()
                while !Task.isCancelled {
                    known = await synchronize(known: known)
                    await wake.wait(upTo: interval)
                }
            }
            try? await gracefulShutdown()
            group.cancelAll()
        }
    }

    /// Shares the tickers imported here before this node joined.
    private func shareLocalOnly() async {
        do {
            let shared = try await storage.sharedBarsCatalog()
            for entry in try importer.store.catalog() where shared[entry.ticker] == nil {
                let bars = try importer.store.bars(for: entry.ticker, from: nil, through: nil).bars
                try await storage.putSharedBars(
                    ticker: entry.ticker,
                    source: entry.source,
                    contentHash: entry.contentHash,
                    bars: BarsCodec.encode(bars)
                )
                logger.info("shared an imported ticker", metadata: ["ticker": "\(entry.ticker)"])
            }
        } catch {
            logger.error("sharing this node's imported tickers failed", metadata: ["error": "\(error)"])
        }
    }

    /// Copies what differs; returns the tickers seen shared so far.
    private func synchronize(known: Set<String>) async -> Set<String> {
        var known = known
        do {
            let shared = try await storage.sharedBarsCatalog()
            let local = Dictionary(try importer.store.catalog().map { ($0.ticker, $0.contentHash) }, uniquingKeysWith: { a, _ in a })
            for (ticker, hash) in shared where local[ticker] != hash {
                guard let copy = try await storage.sharedBars(ticker: ticker) else { continue }
                try importer.importBars(try BarsCodec.decode(copy.bars), ticker: ticker, source: copy.source)
                logger.info("copied shared bars", metadata: ["ticker": "\(ticker)"])
            }
            for ticker in local.keys where shared[ticker] == nil && known.contains(ticker) {
                _ = try importer.store.remove(ticker: ticker)
                logger.info("removed bars no longer shared", metadata: ["ticker": "\(ticker)"])
            }
            known.formUnion(shared.keys)
        } catch {
            logger.error("copying shared bars failed", metadata: ["error": "\(error)"])
        }
        return known
    }
}
