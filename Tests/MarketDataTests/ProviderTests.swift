import BacktestEngine
import Foundation
import Hummingbird
import MarketData
import MarketDataProviders
import Testing

/// Yahoo and Stooq downloads against a local server serving recorded-format replies,
/// through the real HTTP client, parsers and import.
@Suite("Providers")
struct ProviderTests {
    static let start = Timestamp.parse("2020-01-01") ?? 0
    static let end = Timestamp.parse("2020-01-31") ?? 0

    /// The AAPL sample rows the fixtures were recorded from.
    static func sampleRows() throws -> Bars {
        let sample = try #require(BundledData.sampleDirectory).appendingPathComponent("AAPL.csv").path
        return try CSVBarsParser.load(path: sample).slice(from: Timestamp.parse("2020-01-02"), through: Timestamp.parse("2020-01-15"))
    }

    static func serve(_ status: HTTPResponse.Status, _ type: String, _ body: Data) async throws -> ProviderServer {
        try await ProviderServer.start { _ in .init(status: status, contentType: type, body: body) }
    }

    static func downloader(_ server: ProviderServer) -> BarDownloader {
        BarDownloader(configuration: .init(yahooBaseURL: server.baseURL, stooqBaseURL: server.baseURL + "/", timeout: .seconds(10)))
    }

    /// Downloads and imports like `backtest data fetch`; returns the store's catalog after.
    static func fetchAndImport(
        _ server: ProviderServer,
        _ source: BarDownloader.Source,
        ticker: String = "AAPL",
        adjust: Bool = false
    ) async throws
        -> (Result<BarImporter.Result, MarketDataError>, [CatalogEntry])
    {
        let folder = try temporaryFolder()
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let importer = BarImporter(store: try SQLiteBarStore(path: folder + "/db.sqlite"))
        let result: Result<BarImporter.Result, MarketDataError>
        do {
            let download = try await downloader(server).download(ticker, from: source, start: start, end: end, adjust: adjust)
            result = .success(try importer.importBars(download.bars, ticker: ticker, source: source.rawValue))
        } catch {
            result = .failure(error)
        }
        return (result, try importer.store.catalog())
    }

    /// Fetches from `server`, expects a refusal with `code` and `phrase` and nothing imported,
    /// then stops the server.
    static func expectRefused(
        _ server: ProviderServer,
        _ source: BarDownloader.Source,
        code: MarketDataError.Code,
        phrase: String,
        sourceLocation: SourceLocation = #_sourceLocation
    ) async throws {
        let (result, catalog) = try await fetchAndImport(server, source)
        switch result {
        case .success:
            Issue.record("\(code): accepted", sourceLocation: sourceLocation)
        case .failure(let error):
            #expect(error.code == code, "\(error)", sourceLocation: sourceLocation)
            #expect(error.description.contains(phrase), "\(error)", sourceLocation: sourceLocation)
        }
        #expect(catalog.isEmpty, sourceLocation: sourceLocation)
        await server.stop()
    }

    @Test("Yahoo: chart JSON becomes daily bars (exchange dates, null entries skipped) and is imported")
    func yahoo() async throws {
        let server = try await Self.serve(.ok, "application/json", try fixture("yahoo-chart-AAPL.json"))
        let download = try await Self.downloader(server).download("aapl", from: .yahoo, start: Self.start, end: Self.end)
        let expected = try Self.sampleRows()
        #expect(download.bars.timestamps == expected.timestamps)
        #expect(download.bars.close == expected.close)
        #expect(download.bars.open == expected.open)
        #expect(download.bars.volume == expected.volume)
        #expect(download.skipped == 1)
        let uri = try #require(server.received.first)
        #expect(uri.hasPrefix("/v8/finance/chart/AAPL?period1=1577836800&period2=1580515200&interval=1d"))

        let (result, catalog) = try await Self.fetchAndImport(server, .yahoo)
        #expect(try result.get().entry.count == 10)
        #expect(catalog.map(\.source) == ["yahoo"])
        await server.stop()
    }

    @Test("Yahoo --adjust scales prices by adjclose / close")
    func yahooAdjusted() async throws {
        let server = try await Self.serve(.ok, "application/json", try fixture("yahoo-chart-AAPL.json"))
        let download = try await Self.downloader(server).download("AAPL", from: .yahoo, start: Self.start, end: Self.end, adjust: true)
        let sample = try #require(BundledData.sampleDirectory).appendingPathComponent("AAPL.csv").path
        let adjusted = try CSVBarsParser.load(path: sample, options: .init(adjust: true))
            .slice(from: Timestamp.parse("2020-01-02"), through: Timestamp.parse("2020-01-15"))
        #expect(download.bars.close == adjusted.close)
        for (x, y) in zip(download.bars.open, adjusted.open) { #expect(abs(x - y) < 1e-9) }
        await server.stop()
    }

    @Test("Yahoo failures: unknown symbol, rate limit, server error, malformed and empty replies import nothing")
    func yahooFailures() async throws {
        let cases: [(HTTPResponse.Status, String, Data, MarketDataError.Code, String)] = [
            (.notFound, "application/json", try fixture("yahoo-chart-notfound.json"), .unknownTicker, "No data found"),
            (.ok, "application/json", try fixture("yahoo-chart-notfound.json"), .unknownTicker, "does not know AAPL"),
            (.tooManyRequests, "text/plain", Data("Too Many Requests".utf8), .rateLimited, "HTTP 429"),
            (.internalServerError, "text/html", Data("<html>oops</html>".utf8), .providerHTTP, "HTTP 500"),
            (.ok, "text/html", Data("<html>consent page</html>".utf8), .malformedPayload, "not the chart JSON"),
            (
                .ok, "application/json",
                Data(
                    #"{"chart":{"result":[{"timestamp":[1577975400],"indicators":{"quote":[{"open":[1],"high":[2],"low":[1]}]}}],"error":null}}"#.utf8
                ), .malformedPayload, "open/high/low/close"
            ),
            (
                .ok, "application/json",
                Data(
                    #"{"chart":{"result":[{"timestamp":[1577975400,1578061800],"indicators":{"quote":[{"open":[1],"high":[2,2],"low":[1,1],"close":[1,1]}]}}],"error":null}}"#
                        .utf8
                ), .malformedPayload, "differ in length"
            ),
            (
                .ok, "application/json",
                Data(
                    #"{"chart":{"result":[{"timestamp":[1577975400],"indicators":{"quote":[{"open":[1],"high":[0.5],"low":[1],"close":[1]}]}}],"error":null}}"#
                        .utf8
                ), .highBelowLow, "2020-01-02"
            ),
            (.ok, "application/json", try fixture("yahoo-chart-empty.json"), .empty, "no bars"),
        ]
        for (status, type, body, code, phrase) in cases {
            let server = try await Self.serve(status, type, body)
            try await Self.expectRefused(server, .yahoo, code: code, phrase: phrase)
        }
    }

    @Test("Stooq: CSV download is parsed and imported; the URL names the US listing and the dates")
    func stooq() async throws {
        let server = try await Self.serve(.ok, "text/csv", try fixture("stooq-aapl.us.csv"))
        let (result, catalog) = try await Self.fetchAndImport(server, .stooq)
        let imported = try result.get()
        #expect(imported.entry.count == 10)
        #expect(imported.entry.contentHash == BarsDigest.hex(of: try Self.sampleRows()))
        #expect(catalog.map(\.source) == ["stooq"])
        #expect(server.received == ["/q/d/l/?s=aapl.us&d1=20200101&d2=20200131&i=d"])
        await server.stop()
    }

    @Test("Stooq failures: 'No data', the daily limit, HTTP errors and bad rows import nothing")
    func stooqFailures() async throws {
        let cases: [(HTTPResponse.Status, Data, MarketDataError.Code, String)] = [
            (.ok, try fixture("stooq-nodata.txt"), .empty, "no data"),
            (.ok, Data("Exceeded the daily hits limit".utf8), .rateLimited, "daily download limit"),
            (.tooManyRequests, Data(), .rateLimited, "HTTP 429"),
            (.serviceUnavailable, Data("busy".utf8), .providerHTTP, "HTTP 503"),
            (.ok, Data("<html>hello</html>".utf8), .malformedPayload, "not its CSV"),
            (.ok, Data("Date,Open,High,Low,Close,Volume\n2020-01-02,1,2,1,1.5,10\n2020-01-03,1,2,1,x,10\n".utf8), .invalidNumber, "stooq AAPL:3"),
            (.ok, Data("Date,Open,High,Low,Close,Volume\n2019-01-02,1,2,1,1.5,10\n".utf8), .empty, "requested range"),
        ]
        for (status, body, code, phrase) in cases {
            let server = try await Self.serve(status, "text/csv", body)
            try await Self.expectRefused(server, .stooq, code: code, phrase: phrase)
        }
    }

    @Test("an unreachable provider is a network error")
    func unreachable() async throws {
        let server = try await Self.serve(.ok, "text/csv", Data())
        let base = server.baseURL
        await server.stop()
        let downloader = BarDownloader(configuration: .init(stooqBaseURL: base, timeout: .seconds(2)))
        await #expect(throws: MarketDataError.self) { try await downloader.download("AAPL", from: .stooq) }
        do {
            _ = try await downloader.download("AAPL", from: .stooq)
        } catch {
            #expect(error.code == .network)
        }
    }
}
