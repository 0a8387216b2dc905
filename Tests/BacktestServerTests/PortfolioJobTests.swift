import BacktestAPI
import Foundation
import Logging
import NIOHTTP1
import Testing

@testable import BacktestServer

/// Portfolio jobs (`POST /v1/jobs` with `portfolios`): each entry a `POST /v1/portfolios` body,
/// run as a job item on any node; status, events, cancel, delete, retention, the job list and
/// the report pages as for a batch job; bad entries fail as their items, bad bodies are 422s
/// with nothing queued. On SQLite and, when configured, PostgreSQL.
@Suite(.serialized) struct PortfolioJobTests {
    static let equal =
        #"{"tickers":["AAPL","MSFT"],"start":"2019-01-01","end":"2020-12-31","allocation":{"type":"equal"},"schedule":{"type":"monthly"},"include":["equity"]}"#
    static let momentum =
        #"{"tickers":["GOOG","NVDA","META","AAPL"],"start":"2018-01-01","end":"2021-12-31","allocation":{"type":"momentum","lookback":60,"top_k":2},"schedule":{"type":"weekly"},"commission":0.001}"#

    /// A configuration on a fresh database of `storage`.
    static func configuration(
        _ storage: StorageKind,
        _ configure: (inout BacktestServer.Configuration) -> Void = { _ in }
    ) async throws
        -> BacktestServer.Configuration
    {
        let (path, url) = try await storage.freshDatabase()
        var configuration = BacktestServer.Configuration(host: "127.0.0.1", port: 0, databasePath: path, workers: 2)
        configuration.databaseURL = url
        configuration.checksReplies = true
        configure(&configuration)
        return configuration
    }

    /// Runs `body` against a live server on `configuration` (port 0), then stops it.
    @discardableResult
    static func withServer<T: Sendable>(_ configuration: BacktestServer.Configuration, _ body: (TestServer) async throws -> T) async throws -> T {
        var logger = Logger(label: "test.portfolio-jobs")
        logger.logLevel = .warning
        return try await withRunningServer(configuration: configuration, logger: logger) { running in try await body(TestServer(server: running)) }
    }

    /// Polls the status until the job has ended.
    static func ended(_ server: TestServer, _ statusURL: String) async throws -> [String: Any] {
        for _ in 0..<1_500 {
            let status = try await server.send(.GET, statusURL).object()
            if let state = status["status"] as? String, ["done", "cancelled", "failed"].contains(state) { return status }
            try await Task.sleep(for: .milliseconds(20))
        }
        throw TestFailure("the job at \(statusURL) did not end within 30 s")
    }

    /// Parsed JSON, to compare replies member by member.
    static func json(_ text: String) throws -> NSDictionary {
        try #require(try JSONSerialization.jsonObject(with: Data(text.utf8)) as? NSDictionary)
    }

    @Test("a portfolio job runs every entry as its item: results in order, each the reply of POST /v1/portfolios", arguments: StorageKind.available)
    func results(_ storage: StorageKind) async throws {
        let bodies = [
            Self.equal,
            #"{"tickers":["AAPL","NOPE"],"allocation":{"type":"equal"},"schedule":{"type":"monthly"}}"#,
            #"{"tickers":["AAPL","MSFT"],"allocation":{"type":"fixed","weights":{"AAPL":0.7,"MSFT":0.6}},"schedule":{"type":"monthly"}}"#,
            #"{"tickers":["AAPL"],"allocation":{"type":"equal"},"schedule":{"type":"monthly"},"cash":"lots"}"#,
            "7",
            Self.momentum,
            #"{"tickers":["AAPL"],"allocation":{"type":"equal"},"schedule":{"type":"monthly"},"include":["trades"]}"#,
        ]
        try await Self.withServer(try await Self.configuration(storage)) { server in
            let created = try await server.send(.POST, "/v1/jobs", json: #"{"portfolios":["# + bodies.joined(separator: ",") + "]}")
            #expect(created.status == 202, "\(created.text)")
            let job = try created.decode(JobCreated.self)
            #expect(job.statusUrl == "/v1/jobs/\(job.id)" && job.eventsUrl == "/v1/jobs/\(job.id)/events")
            #expect(created.headers["Location"].first == job.statusUrl)

            // Followed over Server-Sent Events: one item per entry, then done.
            let events = parseEvents(try await server.send(.GET, job.eventsUrl).text)
            #expect(events.map(\.name) == Array(repeating: "item", count: bodies.count) + ["done"])
            let done = try Self.json(try #require(events.last).data)
            #expect(done["status"] as? String == "done")
            #expect((done["progress"] as? NSDictionary) == ["done": bodies.count, "total": bodies.count])

            let status = try await server.send(.GET, job.statusUrl).object()
            #expect(status["status"] as? String == "done")
            let results = try #require(status["results"] as? [[String: Any]])
            #expect(results.map { $0["index"] as? Int } == Array(0..<bodies.count))
            // Successes are the reply of POST /v1/portfolios, member for member.
            for index in [0, 5] {
                let direct = try await server.send(.POST, "/v1/portfolios", json: bodies[index])
                #expect(direct.status == 200)
                let want = try Self.json(direct.text)
                #expect((results[index]["result"] as? NSDictionary) == want, "item \(index)")
                #expect(results[index]["error"] == nil)
            }
            #expect(((results[0]["result"] as? [String: Any])?["equity"] as? [Any])?.isEmpty == false)
            // Failures name their field, as a batch's entries do.
            let errors = results.map { $0["error"] as? [String: Any] }
            #expect(errors[1]?["status"] as? Int == 404 && errors[1]?["type"] as? String == "https://backtest.dev/problems/unknown_ticker")
            #expect(errors[2]?["status"] as? Int == 422 && errors[2]?["field"] as? String == "allocation.weights")
            #expect(errors[3]?["status"] as? Int == 422 && errors[3]?["field"] as? String == "cash")
            #expect(errors[4]?["status"] as? Int == 422 && errors[4]?["field"] as? String == "portfolios")
            #expect(errors[6]?["status"] as? Int == 422 && errors[6]?["field"] as? String == "include")
            for index in [1, 2, 3, 4, 6] { #expect(results[index]["result"] == nil, "item \(index)") }

            // The job list names it with the jobs' routes (the dashboard's links).
            let list = try await server.send(.GET, "/v1/jobs").object()
            let listed = try #require((list["jobs"] as? [[String: Any]])?.first { $0["id"] as? String == job.id })
            #expect(listed["kind"] as? String == "portfolios" && listed["status"] as? String == "done")
            #expect(listed["report_url"] as? String == "/v1/jobs/\(job.id)/report")
            // A late subscriber gets the story replayed; a search's routes do not know it.
            #expect(parseEvents(try await server.send(.GET, job.eventsUrl).text).count == bodies.count + 1)
            let asSearch = try await server.send(.GET, "/v1/optimizations/\(job.id)")
            let searchDetail = try asSearch.object()["detail"] as? String
            #expect(asSearch.status == 404 && searchDetail?.contains("a portfolio job: /v1/jobs/") == true, "\(asSearch.text)")
        }
    }

    @Test(
        "a bad body is a 422 naming the field, and nothing is queued",
        arguments: [
            (#"{"portfolios":[]}"#, "portfolios", "empty"),
            (#"{"portfolios":{}}"#, "portfolios", "list"),
            (#"{"portfolios":null}"#, "portfolios", "list"),
            (#"{"portfolios":"AAPL"}"#, "portfolios", "list"),
            (
                #"{"portfolios":[{"tickers":["AAPL"],"allocation":{"type":"equal"},"schedule":{"type":"monthly"}}],"strategy":"sma_cross"}"#,
                "strategy", "next to"
            ),
            (#"{"tickers":["AAPL"],"portfolios":[]}"#, "tickers", "next to"),
        ]
    )
    func badBody(_ body: String, _ field: String, _ words: String) async throws {
        try await Self.withServer(try await Self.configuration(.sqlite)) { server in
            let reply = try await server.send(.POST, "/v1/jobs", json: body)
            #expect(reply.status == 422, "\(reply.text)")
            #expect(reply.headers.first(name: "content-type") == "application/problem+json")
            let problem = try reply.object()
            #expect(problem["field"] as? String == field, "\(reply.text)")
            #expect((problem["detail"] as? String)?.contains(words) == true, "\(reply.text)")
            let listed = try await server.send(.GET, "/v1/jobs").object()["jobs"] as? [Any]
            #expect(listed?.isEmpty == true)
            #expect(try await server.send(.GET, "/v1/cluster").decode(ClusterSnapshot.self).queued == 0)
        }
    }

    @Test("more portfolios than a job holds is a 422 naming portfolios; not JSON is a 400; a synchronous batch points to the job")
    func tooManyAndMalformed() async throws {
        try await Self.withServer(try await Self.configuration(.sqlite)) { server in
            let entry = #"{"tickers":["AAPL"],"allocation":{"type":"equal"},"schedule":{"type":"monthly"}}"#
            let body = #"{"portfolios":["# + Array(repeating: entry, count: BatchRequest.maxJobItems + 1).joined(separator: ",") + "]}"
            let over = try await server.send(.POST, "/v1/jobs", json: body)
            #expect(over.status == 422)
            #expect(try over.object()["field"] as? String == "portfolios")
            let overDetail = try over.object()["detail"] as? String
            #expect(overDetail?.contains("\(BatchRequest.maxJobItems)") == true, "\(over.text)")
            // The synchronous batch route points to the job.
            let batch = try await server.send(.POST, "/v1/backtests/batch", json: #"{"portfolios":["# + entry + "]}")
            #expect(batch.status == 422, "\(batch.text)")
            #expect(try batch.object()["field"] as? String == "portfolios")
            let batchDetail = try batch.object()["detail"] as? String
            #expect(batchDetail?.contains("POST /v1/jobs") == true, "\(batch.text)")
            let malformed = try await server.send(.POST, "/v1/jobs", json: #"{"portfolios":[{"tickers":["#)
            #expect(malformed.status == 400, "\(malformed.text)")
            let listed = try await server.send(.GET, "/v1/jobs").object()["jobs"] as? [Any]
            #expect(listed?.isEmpty == true)
        }
    }

    @Test("the job's page lists its portfolios; each item's report is the portfolio page; bad items and running jobs are refused")
    func reports() async throws {
        try await Self.withServer(try await Self.configuration(.sqlite)) { server in
            let bad = #"{"tickers":["NOPE"],"allocation":{"type":"equal"},"schedule":{"type":"monthly"}}"#
            let job = try await server.send(
                .POST,
                "/v1/jobs",
                json: #"{"portfolios":["# + [Self.equal, bad, Self.momentum].joined(separator: ",") + "]}"
            )
            .decode(JobCreated.self)
            _ = try await Self.ended(server, job.statusUrl)
            let page = try await server.send(.GET, job.statusUrl + "/report")
            ReportRouteTests.expectPage(page)
            let rows = try #require(try ReportRouteTests.data(page.text)["rows"] as? [[String: Any]])
            #expect(rows.compactMap { $0["ticker"] as? String } == ["equal: AAPL, MSFT", "equal: NOPE", "momentum: GOOG, NVDA, META, AAPL"])
            #expect(rows[1]["error"] is String && rows[1]["report"] is NSNull)
            #expect((rows[0]["equity"] as? [Any])?.isEmpty == false)

            // Each link is the portfolio's own page, with the statistics of POST /v1/portfolios.
            let link = try #require(rows[2]["report"] as? String)
            #expect(link == "/v1/jobs/\(job.id)/report?item=2")
            let item = try await server.send(.GET, link)
            ReportRouteTests.expectPage(item)
            let data = try ReportRouteTests.data(item.text)
            #expect(data["kind"] as? String == "portfolio")
            #expect(data["tickers"] as? [String] == ["GOOG", "NVDA", "META", "AAPL"])
            let direct = try await server.send(.POST, "/v1/portfolios", json: Self.momentum).object()
            let stats = try #require(data["stats"] as? [String: Any])
            #expect(stats["return_pct"] as? Double == (direct["stats"] as? [String: Any])?["return_pct"] as? Double)

            for query in ["1", "3", "-1", "x"] {
                let refused = try await server.send(.GET, job.statusUrl + "/report?item=\(query)")
                #expect(refused.status == 422, "\(query): \(refused.text)")
                #expect(try refused.object()["field"] as? String == "item")
            }
        }
    }

    @Test("cancel keeps the record and what finished; delete removes it everywhere; a running job's page is a 409", arguments: StorageKind.available)
    func cancelAndDelete(_ storage: StorageKind) async throws {
        let configuration = try await Self.configuration(storage) {
            $0.workers = 1
            $0.itemConcurrency = 1
        }
        try await Self.withServer(configuration) { server in
            let job = try await server.send(.POST, "/v1/jobs", json: Self.longJob(2_000)).decode(JobCreated.self)
            let running = try await server.send(.GET, job.statusUrl + "/report")
            #expect(running.status == 409, "\(running.text)")
            let cancelled = try await server.send(.POST, job.statusUrl + "/cancel")
            #expect(cancelled.status == 200)
            let status = try cancelled.object()
            #expect(status["status"] as? String == "cancelled")
            let done = try #require((status["progress"] as? [String: Any])?["done"] as? Int)
            #expect(done < 2_000)
            try await Task.sleep(for: .milliseconds(200))
            let later = try await server.send(.GET, job.statusUrl).object()
            #expect(later["status"] as? String == "cancelled")
            let results = try #require(later["results"] as? [[String: Any]])
            #expect(results.allSatisfy { $0["result"] is [String: Any] })
            #expect(results.count == (later["progress"] as? [String: Any])?["done"] as? Int)
            #expect(parseEvents(try await server.send(.GET, job.eventsUrl).text).last?.data.contains("\"cancelled\"") == true)
            // A cancelled job's page lists what finished.
            ReportRouteTests.expectPage(try await server.send(.GET, job.statusUrl + "/report"))

            let other = try await server.send(.POST, "/v1/jobs", json: Self.longJob(2_000)).decode(JobCreated.self)
            let deleted = try await server.send(.DELETE, other.statusUrl)
            #expect(deleted.status == 204 && deleted.body.isEmpty, "\(deleted.text)")
            for path in [other.statusUrl, other.eventsUrl, other.statusUrl + "/report"] {
                let reply = try await server.send(.GET, path)
                #expect(reply.status == 404, "\(path): \(reply.text)")
            }
            #expect(try await server.send(.POST, other.statusUrl + "/cancel").status == 404)
            try await Task.sleep(for: .milliseconds(200))
            #expect(try await server.send(.GET, "/v1/cluster").decode(ClusterSnapshot.self).queued == 0)
            // A search's delete route does not remove a portfolio job.
            #expect(try await server.send(.DELETE, "/v1/optimizations/\(job.id)").status == 404)
            #expect(try await server.send(.GET, job.statusUrl).status == 200)
        }
    }

    @Test(
        "a job stopped mid-way resumes after a restart (its stored work read back) and expires with the retention",
        arguments: StorageKind.available
    )
    func restartAndRetention(_ storage: StorageKind) async throws {
        var configuration = try await Self.configuration(storage) {
            $0.workers = 1
            $0.itemConcurrency = 1
        }
        let total = 120
        // Created, then the server stops with the job mid-way: what finished is stored, the rest queued.
        let job = try await Self.withServer(configuration) { server in
            try await server.send(.POST, "/v1/jobs", json: Self.longJob(total)).decode(JobCreated.self)
        }
        let storage = try await StorageKind.open(path: configuration.databasePath, url: configuration.databaseURL)
        let stored = try await storage.jobItems(jobID: job.id).count
        await storage.close()
        #expect(stored < total, "the job ended before the server stopped")
        try await Self.withServer(configuration) { server in
            let status = try await Self.ended(server, job.statusUrl)
            #expect(status["status"] as? String == "done")
            let results = try #require(status["results"] as? [[String: Any]])
            #expect(results.map { $0["index"] as? Int } == Array(0..<total))
            // Each item ran with its own cash (the stored requests, read back).
            let first = try #require((results[0]["result"] as? [String: Any])?["stats"] as? [String: Any])
            let last = try #require((results[total - 1]["result"] as? [String: Any])?["stats"] as? [String: Any])
            #expect(first["equity_final"] as? Double != last["equity_final"] as? Double)
        }
        configuration.jobRetention = .zero
        try await Self.withServer(configuration) { server in
            var code = try await server.send(.GET, job.statusUrl).status
            for _ in 0..<500 where code != 404 {  // the sweep runs as the server starts
                try await Task.sleep(for: .milliseconds(10))
                code = try await server.send(.GET, job.statusUrl).status
            }
            #expect(code == 404)
        }
    }

    /// `count` seven-ticker momentum portfolios over the bundled decade, each with its own cash
    /// (so none is answered from the reply cache): long enough to catch the job mid-way.
    static func longJob(_ count: Int) -> String {
        let entries = (0..<count).map { i in
            #"{"tickers":["AAPL","AMZN","GOOG","META","MSFT","NFLX","NVDA"],"allocation":{"type":"momentum","lookback":20,"top_k":3},"schedule":{"type":"every_n_bars","n":1},"cash":\#(100_000 + i)}"#
        }
        return #"{"portfolios":["# + entries.joined(separator: ",") + "]}"
    }
}
