import BacktestAPI
import Foundation
import Hummingbird
import HummingbirdTesting
import Logging
import Testing

@testable import BacktestServer

/// The application ``buildApplication(configuration:logger:state:onListening:)`` builds,
/// tested without a socket (Hummingbird's `.router` testing runs its services: the queue
/// worker, the feeds, the cache).
@Suite("Application")
struct ApplicationTests {
    static func configuration() -> BacktestServer.Configuration {
        var configuration = BacktestServer.Configuration(databasePath: TestServer.temporaryDatabase(), workers: 1)
        configuration.checksReplies = true
        return configuration
    }

    static func json(_ text: String) -> ByteBuffer { ByteBuffer(string: text) }

    @Test("a backtest, a job run by the queue worker to done, its deletion; errors as problems")
    func backtestAndJob() async throws {
        var logger = Logger(label: "test.app")
        logger.logLevel = .warning
        let app = try await buildApplication(configuration: Self.configuration(), logger: logger)
        try await app.test(.router) { client in
            try await client.execute(uri: "/health", method: .get) { #expect($0.status == .ok) }
            let backtest = #"{"ticker":"GOOG","start":"2020-01-01","end":"2020-12-31","strategy":"sma_cross"}"#
            try await client.execute(uri: "/v1/backtests", method: .post, headers: [.contentType: "application/json"], body: Self.json(backtest)) {
                #expect($0.status == .ok)
                let reply = try JSONDecoder().decode(BacktestReply.self, from: Data($0.body.readableBytesView))
                #expect(reply.ticker == "GOOG" && reply.cached == false)
            }
            let job = #"{"tickers":["AAPL","MSFT","NOPE"],"strategy":"buy_and_hold"}"#
            let created = try await client.execute(
                uri: "/v1/jobs",
                method: .post,
                headers: [.contentType: "application/json"],
                body: Self.json(job)
            ) { response in
                #expect(response.status == .accepted)
                return try JSONDecoder().decode(JobCreated.self, from: Data(response.body.readableBytesView))
            }
            var status = JobStatus(id: created.id, status: .queued, progress: JobProgress(done: 0, total: 3))
            for _ in 0..<2_000 where !status.status.hasEnded {
                try await Task.sleep(for: .milliseconds(10))
                status = try await client.execute(uri: created.statusUrl, method: .get) { response in
                    try JSONDecoder().decode(JobStatus.self, from: Data(response.body.readableBytesView))
                }
            }
            #expect(status.status == .done && status.progress == JobProgress(done: 3, total: 3))
            #expect(status.results?.map { $0.result != nil } == [true, true, false])
            try await client.execute(uri: created.statusUrl, method: .delete) { #expect($0.status == .noContent) }
            try await client.execute(uri: created.statusUrl, method: .get) { response in
                #expect(response.status == .notFound)
                let problem = try JSONDecoder().decode(Problem.self, from: Data(response.body.readableBytesView))
                #expect(problem.code == .unknownJob && problem.field == "id")
            }
            // Not listening yet (no socket): the server says it is starting.
            try await client.execute(uri: "/ready", method: .get) { response in
                #expect(response.status == .serviceUnavailable && response.headers[.retryAfter] != nil)
            }
        }
    }

    @Test("retention deletes the jobs that ended before now minus the retention, with an injected clock")
    func retention() async throws {
        let database = try await ServerDatabase.open(path: TestServer.temporaryDatabase(), logger: Logger(label: "test.retention"))
        try await database.insertJob(StoredJob(id: "old", kind: .backtests, requests: Array("[]".utf8), state: .queued, total: 0))
        try await database.insertJob(StoredJob(id: "live", kind: .backtests, requests: Array("[]".utf8), state: .queued, total: 0))
        #expect(try await database.finishJob(id: "old", state: .done))
        var retention = JobRetention(jobs: database, configuration: .init(retention: .seconds(3_600)), logger: Logger(label: "test"))
        #expect(await retention.deleteExpiredJobs().isEmpty)  // ended just now: kept for an hour
        let later = Date().timeIntervalSince1970 + 3_601
        retention.now = { later }
        #expect(await retention.deleteExpiredJobs() == ["old"])
        #expect(try await database.job(id: "live") != nil)
        await database.close()
    }
}
