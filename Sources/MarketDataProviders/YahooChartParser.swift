import BacktestEngine
import Foundation
import MarketData

/// Reads Yahoo Finance's chart API reply (`/v8/finance/chart/{T}?interval=1d`) into daily
/// bars.
///
/// The reply holds parallel arrays (`timestamp`, `indicators.quote[0].open/high/low/close/volume`,
/// `indicators.adjclose[0].adjclose`) in which missing values are `null`. Bars lacking any
/// price are skipped (Yahoo emits them for halted days); timestamps (the session's open in
/// UTC) become the exchange's calendar date using `meta.gmtoffset`. The rest is validated
/// like a CSV file.
public enum YahooChartParser {
    private struct Reply: Decodable {
        var chart: Chart
    }

    private struct Chart: Decodable {
        var result: [Result]?
        var error: ChartError?
    }

    private struct ChartError: Decodable {
        var code: String?
        var description: String?
    }

    private struct Result: Decodable {
        var meta: Meta?
        var timestamp: [Int64]?
        var indicators: Indicators?
    }

    private struct Meta: Decodable {
        var gmtoffset: Int64?
    }

    private struct Indicators: Decodable {
        var quote: [Quote]?
        var adjclose: [AdjClose]?
    }

    private struct Quote: Decodable {
        var open: [Double?]?
        var high: [Double?]?
        var low: [Double?]?
        var close: [Double?]?
        var volume: [Double?]?
    }

    private struct AdjClose: Decodable {
        var adjclose: [Double?]?
    }

    /// What a reply held.
    public struct Parsed: Sendable {
        /// The bars, validated.
        public var bars: Bars
        /// Entries skipped because a price was `null`.
        public var skipped: Int
    }

    /// The reply's parallel arrays, present and of one length.
    private struct Series {
        var timestamps: [Int64]
        var open: [Double?]
        var high: [Double?]
        var low: [Double?]
        var close: [Double?]
        var volume: [Double?]?
        var adjclose: [Double?]?
        /// Seconds to add to a timestamp for the exchange's local time.
        var offset: Int64
    }

    /// Parses a reply body for `ticker`.
    ///
    /// - Parameter adjust: scale Open/High/Low/Close by `adjclose / close`.
    /// - Throws: ``MarketDataError`` `unknown_ticker` (Yahoo's `Not Found`), `provider_error`
    ///   (another error object), `malformed_payload`, `empty` (no bars), or a validation
    ///   error naming the bar.
    public static func parse(_ data: Data, ticker: String, adjust: Bool = false) throws(MarketDataError) -> Parsed {
        let source = "yahoo \(ticker)"
        let result = try decode(data, ticker: ticker, source: source)
        let series = try series(of: result, ticker: ticker, adjust: adjust, source: source)
        return try bars(of: series, ticker: ticker, adjust: adjust, source: source)
    }

    /// The reply's first result.
    ///
    /// - Throws: `malformed_payload` for JSON of another shape or without a result,
    ///   `unknown_ticker` or `provider_error` for Yahoo's error object.
    private static func decode(_ data: Data, ticker: String, source: String) throws(MarketDataError) -> Result {
        let reply: Reply
        do {
            reply = try JSONDecoder().decode(Reply.self, from: data)
        } catch {
            throw MarketDataError(
                code: .malformedPayload,
                message: "Yahoo's reply is not the chart JSON expected (\(Self.describe(error)))",
                source: source
            )
        }
        if let error = reply.chart.error {
            let description = error.description ?? "no description"
            if error.code == "Not Found" {
                throw MarketDataError(code: .unknownTicker, message: "Yahoo does not know \(ticker): \(description)", source: source)
            }
            throw MarketDataError(code: .providerError, message: "Yahoo error \(error.code ?? "?"): \(description)", source: source)
        }
        guard let result = reply.chart.result?.first else {
            throw MarketDataError(code: .malformedPayload, message: "Yahoo's reply has neither a result nor an error", source: source)
        }
        return result
    }

    /// The result's arrays.
    ///
    /// - Throws: `empty` without timestamps; `malformed_payload` when a price array is
    ///   missing, the arrays differ in length, or `adjust` needs `adjclose` and there is none.
    private static func series(of result: Result, ticker: String, adjust: Bool, source: String) throws(MarketDataError) -> Series {
        guard let stamps = result.timestamp, !stamps.isEmpty else {
            throw MarketDataError(code: .empty, message: "Yahoo has no bars of \(ticker) in the requested range", source: source)
        }
        guard let quote = result.indicators?.quote?.first, let open = quote.open, let high = quote.high, let low = quote.low,
            let close = quote.close
        else {
            throw MarketDataError(code: .malformedPayload, message: "Yahoo's reply lacks indicators.quote[0] open/high/low/close", source: source)
        }
        let n = stamps.count
        let adjclose = result.indicators?.adjclose?.first?.adjclose
        guard open.count == n, high.count == n, low.count == n, close.count == n, (quote.volume?.count ?? n) == n,
            (adjclose?.count ?? n) == n
        else {
            throw MarketDataError(
                code: .malformedPayload,
                message: "Yahoo's arrays differ in length (\(n) timestamps, \(close.count) closes)",
                source: source
            )
        }
        if adjust && adjclose == nil {
            throw MarketDataError(code: .malformedPayload, message: "--adjust needs indicators.adjclose, which the reply lacks", source: source)
        }
        return Series(
            timestamps: stamps,
            open: open,
            high: high,
            low: low,
            close: close,
            volume: quote.volume,
            adjclose: adjclose,
            offset: result.meta?.gmtoffset ?? 0
        )
    }

    /// The bars of `series`: entries lacking a price skipped, each day once (the later of
    /// two), prices checked and, with `adjust`, scaled by `adjclose / close`.
    ///
    /// - Throws: `invalid_price` or `high_below_low` naming the bar, `malformed_payload` when
    ///   the days go backwards, `empty` when every entry lacks a price.
    private static func bars(of series: Series, ticker: String, adjust: Bool, source: String) throws(MarketDataError) -> Parsed {
        let n = series.timestamps.count
        var t: [Int64] = []
        var o: [Double] = []
        var h: [Double] = []
        var l: [Double] = []
        var c: [Double] = []
        var v: [Double] = []
        var skipped = 0
        for i in 0..<n {
            guard var bo = series.open[i], var bh = series.high[i], var bl = series.low[i], var bc = series.close[i] else {
                skipped += 1
                continue
            }
            let day = Timestamp.dayNumber(series.timestamps[i] + series.offset) * 86_400
            let label = "bar \(i + 1) (\(Timestamp.formatDate(day)))"
            for (name, value) in [("open", bo), ("high", bh), ("low", bl), ("close", bc)] where !(value.isFinite && value > 0) {
                throw MarketDataError(
                    code: .invalidPrice,
                    message: "\(label): \(name) must be positive and finite, got \(value)",
                    source: source,
                    column: name
                )
            }
            guard bh >= bl else {
                throw MarketDataError(code: .highBelowLow, message: "\(label): high \(bh) is below low \(bl)", source: source, column: "high")
            }
            if adjust {
                guard let a = series.adjclose?[i], a.isFinite, a > 0 else {
                    throw MarketDataError(
                        code: .invalidPrice,
                        message: "\(label): adjclose is missing or not positive",
                        source: source,
                        column: "adjclose"
                    )
                }
                let ratio = a / bc
                bo *= ratio
                bh *= ratio
                bl *= ratio
                bc = a
            }
            if let last = t.last {
                if day < last {
                    throw MarketDataError(code: .malformedPayload, message: "\(label): timestamps go backwards", source: source)
                }
                if day == last {
                    // Yahoo appends the live session as a second bar of the same day: keep the later one.
                    t.removeLast()
                    o.removeLast()
                    h.removeLast()
                    l.removeLast()
                    c.removeLast()
                    v.removeLast()
                }
            }
            t.append(day)
            o.append(bo)
            h.append(bh)
            l.append(bl)
            c.append(bc)
            v.append(series.volume?[i].flatMap { $0 >= 0 ? $0 : nil } ?? .nan)
        }
        guard !t.isEmpty else {
            throw MarketDataError(code: .empty, message: "Yahoo's \(n) entries for \(ticker) all lack prices", source: source)
        }
        do {
            return Parsed(bars: try Bars(timestamps: t, open: o, high: h, low: l, close: c, volume: v), skipped: skipped)
        } catch {
            throw MarketDataError(code: .invalidPrice, message: error.message, source: source)
        }
    }

    private static func describe(_ error: any Error) -> String {
        switch error {
        case DecodingError.typeMismatch(_, let context), DecodingError.valueNotFound(_, let context), DecodingError.keyNotFound(_, let context),
            DecodingError.dataCorrupted(let context):
            let path = context.codingPath.map(\.stringValue).joined(separator: ".")
            return (path.isEmpty ? "" : "at \(path): ") + context.debugDescription
        default:
            return "\(error)"
        }
    }
}
