import AsyncHTTPClient
import BacktestAPI
import BacktestEngine
import Foundation
import Logging
import NIOCore
import NIOHTTP1
import Testing

@testable import BacktestServer

/// `/v1/optimizations`: parameter searches as jobs on a real server.
@Suite(.serialized) struct OptimizationRouteTests {
    static let fixtures = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("BacktestEngineTests/Fixtures")
    static let grid = #""grid":["fast=5..50:5","slow=10..200:10"],"constraint":"fast < slow""#

    /// The conformance GOOG data uploaded as `ticker`.
    static func uploadGOOG(_ server: TestServer, as ticker: String = "GOOGREF") async throws {
        let csv = try Data(contentsOf: fixtures.appendingPathComponent("data/GOOG.csv"))
        let reply = try await server.send(.PUT, "/v1/tickers/\(ticker)/bars", body: csv, headers: DataRouteTests.csvHeaders)
        #expect(reply.status == 201, "\(reply.text)")
    }

    /// A server with one worker running one item at a time, on database `db` (the same file
    /// across restarts) and the data folder `data`.
    static func oneWorker(
        db: String,
        data: String,
        _ configure: (inout BacktestServer.Configuration) -> Void = { _ in }
    ) async throws -> TestServer {
        try await TestServer.start {
            $0.databasePath = db
            $0.dataDirectory = data
            $0.workers = 1
            $0.itemConcurrency = 1
            configure(&$0)
        }
    }

    /// Creates a search and follows its events to the end; returns its id and final status.
    static func run(_ server: TestServer, _ body: String) async throws -> (String, OptimizationStatus) {
        let created = try await server.send(.POST, "/v1/optimizations", json: body)
        #expect(created.status == 202, "\(created.text)")
        let job = try created.decode(JobCreated.self)
        let events = parseEvents(try await server.send(.GET, job.eventsUrl).text)
        #expect(events.last?.name == "done")
        #expect(events.dropLast().allSatisfy { $0.name == "progress" })
        return (job.id, try await server.send(.GET, job.statusUrl).decode(OptimizationStatus.self))
    }

    @Test("a grid through the server matches backtesting.py's optimize, best and every heatmap value")
    func gridMatchesReference() async throws {
        let server = try await TestServer.start()
        defer { Task { try? await server.stop() } }
        try await Self.uploadGOOG(server)
        let (id, status) = try await Self.run(
            server,
            #"{"backtest":{"ticker":"GOOGREF","strategy":"sma_cross","commission":0.002},"# + Self.grid + #","maximize":"sqn"}"#
        )
        #expect(status.status == .done)
        #expect(status.progress == JobProgress(done: 175, total: 175))
        let result = try #require(status.result)
        let reference =
            try JSONSerialization.jsonObject(
                with: Data(contentsOf: Self.fixtures.appendingPathComponent("optimize/goog_sma_cross_grid.json"))
            ) as? [String: Any]
        let best = try #require(reference?["best"] as? [String: Any])
        #expect(result.best?.params.dictionary == ["fast": .number(5), "slow": .number(20)])
        #expect(best["params"] as? [String: Int] == ["fast": 5, "slow": 20])
        let expected = try #require(best["stats"] as? [String: Any])
        let sqn = try #require(expected["sqn"] as? Double)
        #expect(abs((result.best?.stats.sqn ?? .nan) - sqn) <= 1e-9 * abs(sqn))
        #expect(result.evaluated == 175 && result.admissible == 175 && result.combinations == 200)
        #expect(result.top.count == 10)

        let heatmap = try await server.send(.GET, "/v1/optimizations/\(id)/heatmap")
        #expect(heatmap.status == 200)
        #expect(heatmap.headers.first(name: "content-type")?.hasPrefix("text/csv") == true)
        let lines = heatmap.text.split(separator: "\n")
        #expect(lines.first == "fast,slow,sqn,trades")
        let rows = try #require(reference?["heatmap"] as? [[String: Any]])
        #expect(lines.count == rows.count + 1)
        for (line, row) in zip(lines.dropFirst(), rows) {
            let cells = line.split(separator: ",", omittingEmptySubsequences: false).map(String.init)
            let params = try #require(row["params"] as? [String: Int])
            #expect(Int(cells[0]) == params["fast"] && Int(cells[1]) == params["slow"])
            if let value = row["value"] as? Double {
                #expect(abs((Double(cells[2]) ?? .nan) - value) <= 1e-9 * max(1, abs(value)), "\(line)")
            } else {
                #expect(cells[2].isEmpty, "\(line): NaN is an empty cell")
            }
        }
    }

    @Test("random, several tickers and walk-forward searches run on the server")
    func otherSearches() async throws {
        let server = try await TestServer.start()
        defer { Task { try? await server.stop() } }
        let (_, random) = try await Self.run(
            server,
            #"{"backtest":{"ticker":"GOOG","strategy":"sma_cross"},"# + Self.grid + #","method":"random","max_tries":30,"seed":7}"#
        )
        #expect(random.result?.evaluated == 30)
        let (again, randomAgain) = try await Self.run(
            server,
            #"{"backtest":{"ticker":"GOOG","strategy":"sma_cross"},"# + Self.grid + #","method":"random","max_tries":30,"seed":7}"#
        )
        #expect(randomAgain.result?.best?.params == random.result?.best?.params)
        #expect(try await server.send(.GET, "/v1/optimizations/\(again)/heatmap").text.split(separator: "\n").count == 31)

        let (threeID, three) = try await Self.run(
            server,
            #"{"backtest":{"strategy":"sma_cross","start":"2015-01-01","end":"2020-12-31"},"tickers":["AAPL","MSFT","GOOG"],"#
                + Self.grid + #","top":3}"#
        )
        #expect(three.result?.tickers?.map(\.ticker) == ["AAPL", "MSFT", "GOOG"])
        #expect(three.result?.ranking?.count == 3)
        #expect(three.progress.total == 3 * 175)
        let heatmap = try await server.send(.GET, "/v1/optimizations/\(threeID)/heatmap").text.split(separator: "\n")
        #expect(heatmap.first == "ticker,fast,slow,sqn,trades" && heatmap.count == 1 + 3 * 175)

        let (walkID, walk) = try await Self.run(
            server,
            #"{"backtest":{"ticker":"GOOG","strategy":"sma_cross"},"# + Self.grid + #","walk_forward":"train=500,test=250"}"#
        )
        #expect((walk.result?.folds.count ?? 0) > 3)
        #expect(walk.result?.folds.first?.test.bars == 250)
        #expect(walk.result?.best != nil && walk.result?.walkForward == "train=500,test=250,step=250")
        let noHeatmap = try await server.send(.GET, "/v1/optimizations/\(walkID)/heatmap")
        #expect(noHeatmap.status == 404)
    }

    @Test("bad searches are refused with the field named; unknown ids are 404")
    func badInput() async throws {
        let server = try await TestServer.start { $0.maxCombinations = 1_000 }
        defer { Task { try? await server.stop() } }
        let backtest = #""backtest":{"ticker":"GOOG","strategy":"sma_cross"}"#
        let cases: [(String, Int, String, String)] = [
            (#"{"# + backtest + #","grid":["fast=5..50:0"]}"#, 422, "invalid_grid", "grid"),
            (#"{"# + backtest + #","grid":["speed=1,2"]}"#, 422, "unknown_parameter", "grid"),
            (#"{"# + backtest + #","grid":["fast=5,10","slow=1,2"],"constraint":"fast < slow"}"#, 422, "empty_grid", "constraint"),
            (#"{"# + backtest + #","grid":["fast=5,10"],"maximize":"sharpe"}"#, 422, "unknown_statistic", "objective"),
            (#"{"# + backtest + #","grid":["fast=5,10"],"constraint":"fast <"}"#, 422, "invalid_constraint", "constraint"),
            (#"{"# + backtest + #","grid":["fast=1..100:1","slow=1..100:1"]}"#, 413, "too_many_combinations", "grid"),
            (#"{"# + backtest + #","grid":["fast=5,10"],"walk_forward":"train=50000,test=100"}"#, 422, "invalid_walk_forward", "walk_forward"),
            (#"{"# + backtest + #","grid":["fast=5,10"],"method":"grid","seed":3}"#, 422, "invalid_search", "seed"),
            (#"{"# + backtest + #","grid":["fast=5,10"],"colour":1}"#, 422, "unknown_field", "colour"),
            (#"{"# + backtest + #","grid":["fast=5,10"],"min_trades":-1}"#, 422, "invalid_search", "min_trades"),
            (#"{"# + backtest + #","grid":["fast=5,10"],"min_trades":"many"}"#, 422, "invalid_field", "min_trades"),
            (#"{"backtest":{"ticker":"NOPE","strategy":"sma_cross"},"grid":["fast=5,10"]}"#, 404, "unknown_ticker", "backtest.ticker"),
            (#"{"backtest":{"ticker":"GOOG","strategy":"sma_cross","cash":-1},"grid":["fast=5,10"]}"#, 422, "invalid_field", "backtest.cash"),
            (
                #"{"backtest":{"strategy":"sma_cross"},"tickers":["AAPL","MSFT"],"grid":["fast=5,10"],"walk_forward":"train=50,test=10"}"#, 422,
                "invalid_search", "walk_forward"
            ),
        ]
        for (body, status, code, field) in cases {
            let reply = try await server.send(.POST, "/v1/optimizations", json: body)
            #expect(reply.status == status, "\(body): \(reply.text)")
            let problem = try reply.decode(Problem.self)
            #expect(problem.code.rawValue == code, "\(body): \(reply.text)")
            #expect(problem.field == field, "\(body): \(reply.text)")
        }
        #expect(try await server.send(.GET, "/v1/optimizations/nope").status == 404)
        let batch = try await server.send(.POST, "/v1/jobs", json: #"{"tickers":["AAPL"],"strategy":"sma_cross"}"#).decode(JobCreated.self)
        // A batch's id on every search route: 404 naming where the batch is.
        for (method, suffix) in [(HTTPMethod.GET, ""), (.GET, "/events"), (.GET, "/heatmap"), (.GET, "/report"), (.POST, "/cancel"), (.DELETE, "")] {
            let reply = try await server.send(method, "/v1/optimizations/\(batch.id)\(suffix)")
            #expect(reply.status == 404, "\(method) \(suffix): \(reply.text)")
            let problem = try reply.decode(Problem.self)
            #expect(problem.code == .unknownJob)
            #expect(problem.detail == "no optimization with id '\(batch.id)' (it is a batch job: /v1/jobs/\(batch.id))")
        }
        #expect(try await server.send(.GET, "/v1/jobs/\(batch.id)").status == 200)
        // A search's id on DELETE /v1/jobs/{id}: 404 naming its route, and the search stays.
        let search = try await server.send(
            .POST,
            "/v1/optimizations",
            json: #"{"backtest":{"ticker":"AAPL","strategy":"sma_cross"},"grid":["fast=5,10"]}"#
        )
        .decode(JobCreated.self)
        let refused = try await server.send(.DELETE, "/v1/jobs/\(search.id)")
        #expect(refused.status == 404, "\(refused.text)")
        #expect(
            try refused.decode(Problem.self).detail == "no batch job with id '\(search.id)' (it is an optimization: /v1/optimizations/\(search.id))"
        )
        #expect(try await server.send(.GET, search.statusUrl).status == 200)
    }

    @Test("a shutdown ends open event streams at once (without 'done') and the search resumes after a restart")
    func shutdownEndsEventStreams() async throws {
        let db = TestServer.temporaryDatabase()
        let data = try TestServer.longDataDirectory()
        defer { try? FileManager.default.removeItem(atPath: data) }
        // An event stream that held the drain would hold it this long.
        func start() async throws -> TestServer { try await Self.oneWorker(db: db, data: data) { $0.drainTimeout = .seconds(120) } }
        // Three folds of 1,600 combinations on 2,000 bars: seconds each in a debug build.
        let body =
            #"{"backtest":{"ticker":"LONG","strategy":"sma_cross"},"grid":["fast=2..41:1","slow=50..89:1"],"walk_forward":"train=2000,test=1000"}"#
        let first = try await start()
        let created = try await first.send(.POST, "/v1/optimizations", json: body).decode(JobCreated.self)
        let stream = try await HTTPClient.shared.execute(HTTPClientRequest(url: first.baseURL + created.eventsUrl), timeout: .seconds(300))
        #expect(stream.status == .ok)
        let reading = Task { String(buffer: try await stream.body.collect(upTo: 1 << 20)) }

        let clock = ContinuousClock()
        let stopping = clock.now
        try await first.stop()
        let stopped = clock.now - stopping
        #expect(stopped < .seconds(60), "the stop took \(stopped): something held the drain")
        let events = parseEvents(try await reading.value)
        #expect(!events.contains { $0.name == "done" })

        let second = try await start()
        let resumed = parseEvents(try await second.send(.GET, created.eventsUrl).text)
        #expect(resumed.last?.name == "done")
        let status = try await second.send(.GET, created.statusUrl).decode(OptimizationStatus.self)
        #expect(status.status == .done)
        #expect(status.progress == JobProgress(done: 3, total: 3))
        #expect(status.result?.folds.count == 3)
        try await second.stop()
    }

    @Test("a search stopped by a restart resumes its missing units; a cancelled one keeps no heatmap")
    func resumeAndCancel() async throws {
        let db = TestServer.temporaryDatabase()
        let data = try TestServer.longDataDirectory()
        defer { try? FileManager.default.removeItem(atPath: data) }
        func start() async throws -> TestServer { try await Self.oneWorker(db: db, data: data) }
        // 1,600 combinations on 5,000 bars: 64 units, far more than land before the stop.
        let body = #"{"backtest":{"ticker":"LONG","strategy":"sma_cross"},"grid":["fast=2..41:1","slow=50..89:1"]}"#
        let first = try await start()
        let created = try await first.send(.POST, "/v1/optimizations", json: body).decode(JobCreated.self)
        try await Task.sleep(for: .milliseconds(100))
        try await first.stop()
        let database = try await StorageKind.openCurrent(path: db)
        let unitsBefore = try await database.jobItems(jobID: created.id).count
        await database.close()
        #expect(unitsBefore < 64)

        let second = try await start()
        let events = parseEvents(try await second.send(.GET, created.eventsUrl).text)
        #expect(events.last?.name == "done")
        let resumed = try await second.send(.GET, created.statusUrl).decode(OptimizationStatus.self)
        #expect(resumed.status == .done)
        #expect(resumed.progress == JobProgress(done: 1_600, total: 1_600))
        // The same search from scratch agrees with the resumed one.
        let (_, fresh) = try await Self.run(second, body)
        #expect(fresh.result?.best?.params == resumed.result?.best?.params)
        #expect(fresh.result?.best?.stats.sqn == resumed.result?.best?.stats.sqn)
        #expect(fresh.result?.top.map(\.params) == resumed.result?.top.map(\.params))

        let cancelled = try await second.send(.POST, "/v1/optimizations", json: body).decode(JobCreated.self)
        let afterCancel = try await second.send(.POST, cancelled.statusUrl + "/cancel").decode(OptimizationStatus.self)
        #expect(afterCancel.status == .cancelled)
        #expect(try await second.send(.GET, cancelled.statusUrl).decode(OptimizationStatus.self).status == .cancelled)
        for what in ["heatmap", "report"] {
            let reply = try await second.send(.GET, "/v1/optimizations/\(cancelled.id)/\(what)")
            #expect(reply.status == 409)
            let problem = try reply.decode(Problem.self)
            #expect(problem.code == .notFinished)
            #expect(problem.detail == "the optimization is cancelled; its \(what) is ready once it is done")
        }
        // Deleted: gone from every route.
        #expect(try await second.send(.DELETE, cancelled.statusUrl).status == 204)
        for suffix in ["", "/events", "/heatmap", "/report"] {
            #expect(try await second.send(.GET, cancelled.statusUrl + suffix).status == 404, "\(suffix)")
        }
        #expect(try await second.send(.GET, "/v1/jobs/\(cancelled.id)").status == 404)
        try await second.stop()
    }
}
