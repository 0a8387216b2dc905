import AsyncHTTPClient
import BacktestEngine
import Foundation
import MarketData
import NIOCore
import NIOFoundationCompat
import NIOHTTP1

/// Downloads daily bars from a price provider over HTTPS: Yahoo Finance's chart API or
/// Stooq's CSV download. Base URLs are configurable (tests point them at a local server).
///
/// Every failure (HTTP status, rate limit, malformed payload, empty range, network) is a
/// ``MarketDataError`` with a clear message; nothing partial is returned.
///
/// ```swift
/// let downloader = BarDownloader()
/// let bars = try await downloader.download("AAPL", from: .yahoo, start: start, end: end)
/// ```
public struct BarDownloader: Sendable {
    /// A price provider.
    public enum Source: String, Sendable, CaseIterable {
        /// Yahoo Finance chart API (`{base}/v8/finance/chart/{T}`).
        case yahoo
        /// Stooq CSV download (`{base}/q/d/l/?s={t}.us`).
        case stooq
    }

    /// Where the providers are and how long to wait.
    public struct Configuration: Sendable {
        /// Yahoo's base URL. Default `https://query1.finance.yahoo.com`.
        public var yahooBaseURL: String
        /// Stooq's base URL. Default `https://stooq.com`.
        public var stooqBaseURL: String
        /// Longest wait for a whole reply. Default 30 s.
        public var timeout: TimeAmount
        /// Largest reply accepted. Default 64 MiB.
        public var maxResponseBytes: Int

        /// Creates a configuration with the defaults above.
        public init(
            yahooBaseURL: String = "https://query1.finance.yahoo.com",
            stooqBaseURL: String = "https://stooq.com",
            timeout: TimeAmount = .seconds(30),
            maxResponseBytes: Int = 64 << 20
        ) {
            self.yahooBaseURL = yahooBaseURL
            self.stooqBaseURL = stooqBaseURL
            self.timeout = timeout
            self.maxResponseBytes = maxResponseBytes
        }
    }

    /// Bars downloaded from one provider.
    public struct Download: Sendable {
        /// The bars, validated and restricted to the requested range.
        public var bars: Bars
        /// The provider.
        public var source: Source
        /// The URL fetched.
        public var url: String
        /// Entries the provider sent without prices (skipped).
        public var skipped: Int
    }

    /// The configuration in use.
    public let configuration: Configuration
    private let client: HTTPClient

    /// Creates a downloader using `client` (default: the shared client).
    public init(configuration: Configuration = Configuration(), client: HTTPClient = .shared) {
        self.configuration = configuration
        self.client = client
    }

    /// The request URL for `ticker` between `start` and `end` (dates; either optional).
    public func url(for ticker: String, from source: Source, start: Int64?, end: Int64?) -> String {
        let symbol = ticker.uppercased()
        switch source {
        case .yahoo:
            let period1 = max(0, start.map { Timestamp.dayNumber($0) * 86_400 } ?? 0)
            let period2 = end.map { (Timestamp.dayNumber($0) + 1) * 86_400 } ?? Int64(Date().timeIntervalSince1970) + 86_400
            let path = symbol.addingPercentEncoding(withAllowedCharacters: .urlPathAllowed) ?? symbol
            return Self.trimmed(configuration.yahooBaseURL)
                + "/v8/finance/chart/\(path)?period1=\(period1)&period2=\(period2)&interval=1d&events=div%2Csplit"
        case .stooq:
            // Stooq names US listings `aapl.us`; a symbol with a dot already names its market.
            let stooqSymbol = symbol.contains(".") ? symbol.lowercased() : symbol.lowercased() + ".us"
            let d1 = Self.compactDate(start ?? 0)
            let d2 = Self.compactDate(end ?? Int64(Date().timeIntervalSince1970))
            let s = stooqSymbol.addingPercentEncoding(withAllowedCharacters: .urlQueryAllowed) ?? stooqSymbol
            return Self.trimmed(configuration.stooqBaseURL) + "/q/d/l/?s=\(s)&d1=\(d1)&d2=\(d2)&i=d"
        }
    }

    /// Downloads the daily bars of `ticker` between `start` and `end` (inclusive dates).
    ///
    /// - Parameter adjust: Yahoo only: scale prices by `adjclose / close` (Stooq's prices are
    ///   split- and dividend-adjusted already).
    public func download(
        _ ticker: String,
        from source: Source,
        start: Int64? = nil,
        end: Int64? = nil,
        adjust: Bool = false
    ) async throws(MarketDataError) -> Download {
        let symbol = try SQLiteBarStore.symbol(ticker)
        let url = url(for: symbol, from: source, start: start, end: end)
        let body = try await fetch(url, source: source, ticker: symbol)
        var bars: Bars
        var skipped = 0
        switch source {
        case .yahoo:
            let parsed = try YahooChartParser.parse(body, ticker: symbol, adjust: adjust)
            bars = parsed.bars
            skipped = parsed.skipped
        case .stooq:
            bars = try StooqCSVParser.parse(body, ticker: symbol)
        }
        let startDay = start.map { Timestamp.dayNumber($0) * 86_400 }
        let endDay = end.map { Timestamp.dayNumber($0) * 86_400 + 86_399 }
        if startDay != nil || endDay != nil { bars = bars.slice(from: startDay, through: endDay) }
        guard !bars.timestamps.isEmpty else {
            throw MarketDataError(code: .empty, message: "\(source.rawValue) has no bars of \(symbol) in the requested range", source: url)
        }
        return Download(bars: bars, source: source, url: url, skipped: skipped)
    }

    private func fetch(_ url: String, source: Source, ticker: String) async throws(MarketDataError) -> Data {
        var request = HTTPClientRequest(url: url)
        request.headers.add(name: "User-Agent", value: "backtest/0.1 (+https://github.com)")
        request.headers.add(name: "Accept", value: source == .yahoo ? "application/json" : "text/csv")
        let status: Int
        let bytes: ByteBuffer
        let retryAfter: String?
        do {
            let response = try await client.execute(request, timeout: configuration.timeout)
            status = Int(response.status.code)
            retryAfter = response.headers.first(name: "Retry-After")
            bytes = try await response.body.collect(upTo: configuration.maxResponseBytes)
        } catch is NIOTooManyBytesError {
            throw MarketDataError(code: .malformedPayload, message: "the reply is over \(configuration.maxResponseBytes) bytes", source: url)
        } catch {
            throw MarketDataError(code: .network, message: "cannot reach \(source.rawValue): \(error)", source: url)
        }
        let data = Data(buffer: bytes)
        switch status {
        case 200..<300:
            return data
        case 429:
            throw MarketDataError(
                code: .rateLimited,
                message: "\(source.rawValue) is rate limiting requests (HTTP 429)\(retryAfter.map { "; retry after \($0) s" } ?? "; retry later")",
                source: url
            )
        case 404 where source == .yahoo:
            // Yahoo answers unknown symbols with 404 and its error JSON.
            _ = try YahooChartParser.parse(data, ticker: ticker)
            throw MarketDataError(code: .unknownTicker, message: "Yahoo does not know \(ticker) (HTTP 404)", source: url)
        default:
            let snippet = String(decoding: data.prefix(200), as: UTF8.self).replacingOccurrences(of: "\n", with: " ")
            throw MarketDataError(
                code: .providerHTTP,
                message: "\(source.rawValue) answered HTTP \(status)\(snippet.isEmpty ? "" : ": \(snippet)")",
                source: url
            )
        }
    }

    private static func trimmed(_ base: String) -> String {
        base.hasSuffix("/") ? String(base.dropLast()) : base
    }

    private static func compactDate(_ t: Int64) -> String {
        let (y, m, d) = Timestamp.civil(days: Timestamp.dayNumber(t))
        return String(format: "%04d%02d%02d", y, m, d)
    }
}

/// Reads Stooq's CSV download (`Date,Open,High,Low,Close,Volume`), which answers
/// `No data` for an unknown symbol or an empty range and plain text when it refuses.
public enum StooqCSVParser {
    /// Parses a reply body for `ticker`.
    ///
    /// - Throws: ``MarketDataError`` `empty` for `No data`, `rate_limited` for Stooq's
    ///   daily limit text, `malformed_payload` for anything that is not its CSV, or a
    ///   validation error naming the line.
    public static func parse(_ data: Data, ticker: String) throws(MarketDataError) -> Bars {
        let source = "stooq \(ticker)"
        let head = String(decoding: data.prefix(256), as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
        if head.isEmpty || head.lowercased().hasPrefix("no data") {
            throw MarketDataError(code: .empty, message: "Stooq has no data for \(ticker) (unknown symbol or empty range)", source: source)
        }
        if head.lowercased().contains("exceeded the daily hits limit") {
            throw MarketDataError(code: .rateLimited, message: "Stooq's daily download limit is exceeded; retry tomorrow", source: source)
        }
        guard head.lowercased().hasPrefix("date,") else {
            let first = head.split(whereSeparator: \.isNewline).first.map(String.init) ?? head
            throw MarketDataError(code: .malformedPayload, message: "Stooq's reply is not its CSV: '\(first.prefix(80))'", source: source)
        }
        return try CSVBarsParser.parse(data, source: source)
    }
}
