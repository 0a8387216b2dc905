import BacktestEngine
import Crypto

/// One ticker in the imported store's catalog.
public struct CatalogEntry: Sendable, Equatable {
    /// The upper-case symbol.
    public var ticker: String
    /// Where the bars came from: `file NAME.csv`, `upload`, `yahoo`, `stooq`.
    public var source: String
    /// Timestamp of the first bar.
    public var first: Int64
    /// Timestamp of the last bar.
    public var last: Int64
    /// Number of bars.
    public var count: Int
    /// ``BarsDigest`` of the stored bars (changes whenever the bars do).
    public var contentHash: String
    /// When the bars were imported (seconds since 1970, UTC).
    public var importedAt: Double

    /// Creates an entry.
    public init(ticker: String, source: String, first: Int64, last: Int64, count: Int, contentHash: String, importedAt: Double) {
        self.ticker = ticker
        self.source = source
        self.first = first
        self.last = last
        self.count = count
        self.contentHash = contentHash
        self.importedAt = importedAt
    }

    /// The entry as a ``TickerSummary`` with source `database`.
    public var summary: TickerSummary {
        TickerSummary(ticker: ticker, first: first, last: last, count: count, source: "database")
    }
}

/// The content hash of bars: SHA-256 of their values in a fixed binary layout (timestamp
/// and the five prices/volume as little-endian 64-bit words), so the same bars hash the
/// same whatever file, upload or provider they came from.
public enum BarsDigest {
    /// The lowercase hex digest of `bars`.
    public static func hex(of bars: Bars) -> String {
        var hasher = SHA256()
        hasher.update(data: Array("bars-v1\n".utf8))
        let chunk = 4_096
        var words: [UInt64] = []
        words.reserveCapacity(chunk * 6)
        var start = 0
        while start < bars.count {
            let end = min(bars.count, start + chunk)
            words.removeAll(keepingCapacity: true)
            for i in start..<end {
                let volume = bars.volume[i].isNaN ? Double.nan : bars.volume[i]
                words.append(UInt64(bitPattern: bars.timestamps[i]).littleEndian)
                words.append(bars.open[i].bitPattern.littleEndian)
                words.append(bars.high[i].bitPattern.littleEndian)
                words.append(bars.low[i].bitPattern.littleEndian)
                words.append(bars.close[i].bitPattern.littleEndian)
                words.append(volume.bitPattern.littleEndian)
            }
            words.withUnsafeBytes { hasher.update(bufferPointer: $0) }
            start = end
        }
        return ContentHash.hex(hasher.finalize())
    }
}
