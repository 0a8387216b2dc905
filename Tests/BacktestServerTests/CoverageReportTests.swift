import BacktestAPI
import Foundation
import Logging
import NIOHTTP1
import Testing

@testable import BacktestServer

/// Coverage where the server shows a batch or a search over several tickers (issue 25): the
/// server's batch page badges a short row, and each ticker of a multi-ticker search reports
/// its coverage in JSON and on the page. Both pages carry the statistics' definitions.
@Suite(.serialized) struct CoverageReportTests {
    /// Runs `body` against a live server (port 0, its own database), then stops it.
    static func withServer<T: Sendable>(_ body: (TestServer) async throws -> T) async throws -> T {
        var configuration = BacktestServer.Configuration(host: "127.0.0.1", port: 0, databasePath: TestServer.temporaryDatabase(), workers: 2)
        configuration.checksReplies = true
        if StorageKind.current == .postgres {
            configuration.databaseURL = try await StorageKind.postgresDatabase(forPath: configuration.databasePath)
        }
        var logger = Logger(label: "test.coverage-report")
        logger.logLevel = .warning
        return try await withRunningServer(configuration: configuration, logger: logger) { running in try await body(TestServer(server: running)) }
    }

    /// The JSON a filled page carries in its `report-data` element.
    static func pageData(_ page: String) throws -> [String: Any] {
        let open = #"<script id="report-data" type="application/json">"#
        let start = try #require(page.range(of: open))
        let end = try #require(page.range(of: "</script>", range: start.upperBound..<page.endIndex))
        let json = try JSONSerialization.jsonObject(with: Data(page[start.upperBound..<end.lowerBound].utf8))
        return try #require(json as? [String: Any])
    }

    /// `definitions.statistics.KEY` of a page's data.
    static func definition(_ data: [String: Any], _ key: String) -> [String: Any]? {
        ((data["definitions"] as? [String: Any])?["statistics"] as? [String: Any])?[key] as? [String: Any]
    }

    static let window = #""start":"2015-01-01","end":"2022-12-31""#
    static let msftNote = "2021-03-31, asked 2015-01-01 – 2022-12-31"

    @Test("GET /v1/jobs/{id}/report: MSFT (data to 2021-03-31 of 2015–2022) has the short-data note, AAPL none")
    func batchPageBadge() async throws {
        try await Self.withServer { server in
            let created = try await server.send(.POST, "/v1/jobs", json: #"{"tickers":["AAPL","MSFT"],"strategy":"sma_cross","# + Self.window + "}")
            #expect(created.status == 202, "\(created.text)")
            let job = try created.decode(JobCreated.self)
            _ = try await server.send(.GET, job.eventsUrl)
            let page = try await server.send(.GET, "/v1/jobs/\(job.id)/report")
            #expect(page.status == 200, "\(page.text.prefix(300))")
            let data = try Self.pageData(page.text)
            let rows = try #require(data["rows"] as? [[String: Any]])
            #expect(rows.map { $0["ticker"] as? String } == ["AAPL", "MSFT"])
            #expect(rows[0]["coverage_note"] is NSNull)
            let note = try #require(rows[1]["coverage_note"] as? String)
            #expect(note.hasPrefix("MSFT: data 2015-") && note.hasSuffix(Self.msftNote), "\(note)")
            #expect((rows[1]["coverage"] as? [String: Any])?["short"] as? Bool == true)
            #expect((rows[0]["coverage"] as? [String: Any])?["short"] as? Bool == false)
            #expect(Self.definition(data, "sqn")?["few_trades"] as? Bool == true)
            #expect(Self.definition(data, "return_pct")?["few_trades"] as? Bool == false)
        }
    }

    @Test("a search over AAPL and MSFT: each ticker's coverage in the report (MSFT short) and a badge note on its page")
    func searchTickersCoverage() async throws {
        try await Self.withServer { server in
            let body =
                #"{"backtest":{"strategy":"sma_cross","# + Self.window + #"},"tickers":["AAPL","MSFT"],"#
                + #""grid":["fast=5,10","slow=20,40"],"maximize":"sqn"}"#
            let created = try await server.send(.POST, "/v1/optimizations", json: body)
            #expect(created.status == 202, "\(created.text)")
            let job = try created.decode(JobCreated.self)
            _ = try await server.send(.GET, job.eventsUrl)
            let status = try await server.send(.GET, job.statusUrl)
            let tickers = try #require(try status.decode(OptimizationStatus.self).result?.tickers)
            #expect(tickers.map(\.ticker) == ["AAPL", "MSFT"])
            #expect(tickers[0].coverage?.isShort == false)
            let msft = try #require(tickers[1].coverage)
            #expect(msft.isShort && msft.lastBar.hasPrefix("2021-03-31") && msft.requestedEnd == "2022-12-31")
            #expect(status.text.contains(#""short":true"#))

            let page = try await server.send(.GET, "/v1/optimizations/\(job.id)/report")
            #expect(page.status == 200)
            let data = try Self.pageData(page.text)
            let notes = try #require(data["coverage_notes"] as? [String: String])
            #expect(notes.keys.sorted() == ["MSFT"])
            #expect(notes["MSFT"]?.hasSuffix(Self.msftNote) == true)
            #expect(Self.definition(data, "kelly_criterion")?["few_trades"] as? Bool == true)
        }
    }
}
