import BacktestEngine

/// A ``BarStore`` that asks several stores in order and serves a ticker from the first
/// that has it: on the server, the imported SQLite store, then `--data-dir`, then the
/// bundled sample set.
///
/// ```swift
/// let store = LayeredBarStore([imported, CSVBarStore(configuration: .init(dataDirectory: dir))])
/// ```
public struct LayeredBarStore: BarStore {
    /// The stores, in resolution order.
    public let layers: [any BarStore]

    /// Creates a store over `layers` (first wins).
    public init(_ layers: [any BarStore]) {
        self.layers = layers
    }

    public func tickers() throws(MarketDataError) -> [TickerSummary] {
        var seen: [String: TickerSummary] = [:]
        for layer in layers {
            for summary in try layer.tickers() where seen[summary.ticker] == nil {
                seen[summary.ticker] = summary
            }
        }
        return seen.values.sorted { $0.ticker < $1.ticker }
    }

    public func bars(for ticker: String, from start: Int64?, through end: Int64?) throws(MarketDataError) -> StoredBars {
        for layer in layers {
            do {
                return try layer.bars(for: ticker, from: start, through: end)
            } catch  where error.code == .unknownTicker {
                continue
            }
        }
        let symbol = ticker.uppercased()
        let count = (try? tickers().count) ?? 0
        throw MarketDataError(
            code: .unknownTicker,
            message: "unknown ticker '\(symbol)'; the server knows \(count) ticker\(count == 1 ? "" : "s") (GET /v1/tickers lists them); "
                + "to add one, upload it (PUT /v1/tickers/\(symbol)/bars with a text/csv body, Date,Open,High,Low,Close[,Volume]; "
                + "'backtest data push \(symbol).csv --server URL' does that) or drop \(symbol).csv into the server's --data-dir",
            source: "ticker"
        )
    }
}
