import BacktestAPI
import Foundation
import NIOHTTP1
import Testing

@testable import BacktestServer

/// The pictures on the server: report pages, the dashboard, the job list.
@Suite(.serialized) struct ReportRouteTests {
    /// The JSON a page carries in its `report-data` element.
    static func data(_ page: String) throws -> [String: Any] {
        let start = try #require(page.range(of: "<script id=\"report-data\" type=\"application/json\">"))
        let end = try #require(page.range(of: "</script>", range: start.upperBound..<page.endIndex))
        let json = page[start.upperBound..<end.lowerBound].replacingOccurrences(of: "\\u003c", with: "<")
        return try #require(try JSONSerialization.jsonObject(with: Data(json.utf8)) as? [String: Any])
    }

    static func expectPage(_ reply: TestServer.Reply) {
        #expect(reply.status == 200, "\(reply.text.prefix(300))")
        #expect(reply.headers.first(name: "content-type")?.hasPrefix("text/html") == true)
        let policy = reply.headers.first(name: "content-security-policy") ?? ""
        #expect(policy.contains("default-src 'none'") && !policy.contains("unsafe-inline"), "\(policy)")
    }

    @Test("POST /v1/reports answers a backtest's report page; a bad body is a 422 problem")
    func backtestReport() async throws {
        let server = try await TestServer.start()
        defer { Task { try? await server.stop() } }
        let reply = try await server.send(
            .POST,
            "/v1/reports",
            json: #"{"ticker":"AAPL","start":"2020-01-01","end":"2020-12-31","strategy":"sma_cross","params":{"slow":40}}"#
        )
        Self.expectPage(reply)
        let data = try Self.data(reply.text)
        #expect(data["title"] as? String == "sma_cross(fast=10,slow=40) on AAPL")
        #expect((data["equity"] as? [Any])?.count == (data["bars"] as? [String: Any]).flatMap { ($0["close"] as? [Any])?.count })
        let bad = try await server.send(.POST, "/v1/reports", json: #"{"ticker":"AAPL","strategy":"nope"}"#)
        #expect(bad.status == 422)
        #expect(bad.headers.first(name: "content-type") == "application/problem+json")
    }

    @Test("a finished batch job has a page, each item its report; the job list names both kinds of job")
    func batchAndList() async throws {
        let server = try await TestServer.start()
        defer { Task { try? await server.stop() } }
        let job = try await server.send(.POST, "/v1/jobs", json: #"{"tickers":["AAPL","MSFT","NOPE"],"strategy":"rsi_reversion"}"#)
            .decode(JobCreated.self)
        #expect(parseEvents(try await server.send(.GET, job.eventsUrl).text).last?.name == "done")
        let page = try await server.send(.GET, "/v1/jobs/\(job.id)/report")
        Self.expectPage(page)
        let data = try Self.data(page.text)
        let rows = try #require(data["rows"] as? [[String: Any]])
        #expect(rows.compactMap { $0["ticker"] as? String } == ["AAPL", "MSFT", "NOPE"])
        #expect(rows[2]["error"] is String && rows[2]["report"] is NSNull)
        #expect((rows[0]["equity"] as? [Any])?.count == 200)
        #expect(data["report_fetch"] as? Bool == true)
        let item = try await server.send(.GET, try #require(rows[1]["report"] as? String))
        Self.expectPage(item)
        #expect(try Self.data(item.text)["title"] as? String == "rsi_reversion(period=14,lower=30,upper=70) on MSFT")
        #expect(try await server.send(.GET, "/v1/jobs/\(job.id)/report?item=2").status == 422)
        #expect(try await server.send(.GET, "/v1/jobs/\(job.id)/report?item=x").status == 422)

        let search = try await server.send(
            .POST,
            "/v1/optimizations",
            json: #"{"backtest":{"ticker":"GOOG","strategy":"sma_cross"},"grid":["fast=5..50:5","slow=10..200:10"],"constraint":"fast < slow"}"#
        ).decode(JobCreated.self)
        #expect(parseEvents(try await server.send(.GET, search.eventsUrl).text).last?.name == "done")
        let list = try await server.send(.GET, "/v1/jobs?limit=5").decode(JobList.self)
        #expect(list.jobs.map(\.id) == [search.id, job.id])
        #expect(list.jobs.map(\.kind) == ["optimization", "backtests"])
        #expect(list.jobs[0].reportUrl == "/v1/optimizations/\(search.id)/report")
        #expect(list.jobs[1].progress == JobProgress(done: 3, total: 3))
        #expect(try await server.send(.GET, "/v1/jobs?limit=0").status == 422)
        #expect(try await server.send(.GET, "/v1/optimizations/\(job.id)/report").status == 404)
        #expect(try await server.send(.GET, "/v1/jobs/\(search.id)/report").status == 404)
    }

    @Test("a search's page has a heatmap per pair of parameters; a walk-forward's the stitched equity")
    func optimizationReport() async throws {
        let server = try await TestServer.start()
        defer { Task { try? await server.stop() } }
        for (body, check) in [
            (#""grid":["fast=5..50:5","slow=10..200:10"],"constraint":"fast < slow""#, "heatmaps"),
            (#""grid":["fast=5..50:5","slow=10..200:10"],"constraint":"fast < slow","walk_forward":"train=500,test=250""#, "stitched"),
        ] {
            let created = try await server.send(
                .POST,
                "/v1/optimizations",
                json: #"{"backtest":{"ticker":"GOOG","strategy":"sma_cross"},"# + body + "}"
            )
            .decode(JobCreated.self)
            #expect(parseEvents(try await server.send(.GET, created.eventsUrl).text).last?.name == "done")
            let page = try await server.send(.GET, "/v1/optimizations/\(created.id)/report")
            Self.expectPage(page)
            let data = try Self.data(page.text)
            if check == "heatmaps" {
                let heatmaps = try #require(data["heatmaps"] as? [[String: Any]])
                #expect(heatmaps.count == 1 && heatmaps[0]["x"] as? String == "fast" && heatmaps[0]["y"] as? String == "slow")
                #expect((heatmaps[0]["z"] as? [Any])?.count == 20)
                #expect(data["stitched"] is NSNull)
            } else {
                let stitched = try #require(data["stitched"] as? [String: Any])
                #expect((stitched["equity"] as? [Any])?.count == (stitched["time"] as? [Any])?.count)
                #expect(((data["folds"] as? [Any])?.count ?? 0) > 3)
            }
        }
    }

    @Test("GET / is the dashboard, served without a key even when the API needs one; the API still does")
    func dashboard() async throws {
        let server = try await TestServer.start { $0.apiKeys = ["k-123"] }
        defer { Task { try? await server.stop() } }
        let page = try await server.send(.GET, "/")
        Self.expectPage(page)
        #expect(page.headers.first(name: "content-security-policy")?.contains("connect-src 'self'") == true)
        #expect(!page.text.contains("k-123"))
        #expect(try await server.send(.GET, "/v1/jobs").status == 401)
        #expect(try await server.send(.GET, "/v1/jobs", headers: [("Authorization", "Bearer k-123")]).status == 200)
    }

    @Test("The dashboard labels every job kind (its job list shows none as the API's kind)")
    func dashboardLabelsEveryJobKind() async throws {
        let server = try await TestServer.start()
        defer { Task { try? await server.stop() } }
        let page = try await server.send(.GET, "/")
        Self.expectPage(page)
        for kind in JobKind.allCases {
            let label =
                switch kind {
                case .backtests: "batch"
                case .optimization: "optimisation"
                case .portfolios: "portfolio job"
                }
            #expect(page.text.contains("['\(kind.rawValue)', '\(label)']"), "no label for \(kind.rawValue)")
        }
    }
}
