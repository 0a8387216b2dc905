import BacktestAPI
import BacktestEngine
import Foundation
import NIOCore
import NIOHTTP1
import Testing

@testable import BacktestServer

/// Batches, jobs, Server-Sent Events and cancelling.
@Suite("Batches and jobs", .serialized)
struct BatchAndJobTests {
    @Test("a batch with good and bad items answers each in request order")
    func mixedBatch() async throws {
        let server = try await TestServer.start()
        let json = """
            {"requests": [
              {"ticker": "AAPL", "strategy": "sma_cross", "start": "2021-01-01", "end": "2021-12-31"},
              {"ticker": "NOPE", "strategy": "sma_cross"},
              {"ticker": "MSFT", "strategy": "sma_cross", "wat": 1},
              {"ticker": "GOOG", "strategy": "sma_cross", "params": {"fast": 50, "slow": 20}},
              {"ticker": "NVDA", "strategy": "buy_and_hold", "start": "2022-01-01"}
            ]}
            """
        let reply = try await server.send(.POST, "/v1/backtests/batch", json: json)
        #expect(reply.status == 200, "\(reply.text)")
        let batch = try reply.decode(BatchReply.self)
        #expect(batch.results.map(\.index) == [0, 1, 2, 3, 4])
        #expect(batch.results[0].result?.ticker == "AAPL")
        #expect(batch.results[1].error?.status == 404)
        #expect(batch.results[1].ticker == "NOPE")
        #expect(batch.results[2].error?.code == .unknownField)
        #expect(batch.results[2].error?.field == "wat")
        #expect(batch.results[3].error?.field == "params.fast")
        #expect(batch.results[4].result?.start.hasPrefix("2022-01-03") == true)
        try await server.stop()
    }

    @Test("a tickers batch shares the other fields; empty and oversized batches are 422")
    func tickersBatch() async throws {
        let server = try await TestServer.start()
        let reply = try await server.send(
            .POST,
            "/v1/backtests/batch",
            json: #"{"tickers":["AAPL","MSFT","META"],"strategy":"sma_cross","params":{"fast":5,"slow":20},"start":"2020-01-01"}"#
        )
        let batch = try reply.decode(BatchReply.self)
        #expect(batch.results.map { $0.result?.ticker } == ["AAPL", "MSFT", "META"])
        #expect(batch.results.allSatisfy { $0.result?.params["fast"] == .number(5) })

        let empty = try await server.send(.POST, "/v1/backtests/batch", json: #"{"requests":[]}"#)
        #expect(empty.status == 422)
        #expect(try empty.decode(Problem.self).field == "requests")
        let tooMany = "{\"tickers\":[" + Array(repeating: "\"AAPL\"", count: 1_001).joined(separator: ",") + "],\"strategy\":\"buy_and_hold\"}"
        let over = try await server.send(.POST, "/v1/backtests/batch", json: tooMany)
        #expect(over.status == 422)
        #expect(try over.decode(Problem.self).detail.contains("1000"))
        try await server.stop()
    }

    @Test("a job followed to completion over Server-Sent Events")
    func jobOverEvents() async throws {
        let server = try await TestServer.start()
        let created = try await server.send(
            .POST,
            "/v1/jobs",
            json:
                #"{"requests":[{"ticker":"AAPL","strategy":"sma_cross"},{"ticker":"NOPE","strategy":"sma_cross"},{"ticker":"GOOG","strategy":"bollinger"}]}"#
        )
        #expect(created.status == 202, "\(created.text)")
        let job = try created.decode(JobCreated.self)
        #expect(job.statusUrl == "/v1/jobs/\(job.id)")
        #expect(created.headers["Location"].first == job.statusUrl)

        let stream = try await server.send(.GET, job.eventsUrl)
        #expect(stream.status == 200)
        #expect(stream.headers["Content-Type"].first == "text/event-stream")
        let events = parseEvents(stream.text)
        #expect(events.map(\.name) == ["item", "item", "item", "done"])
        let items = try events.dropLast().map { try JSONDecoder().decode(JobItemEvent.self, from: Data($0.data.utf8)) }
        #expect(Set(items.map(\.item.index)) == [0, 1, 2])
        #expect(items.map(\.progress.done) == [1, 2, 3])
        let done = try JSONDecoder().decode(JobStatus.self, from: Data(try #require(events.last).data.utf8))
        #expect(done.status == .done)
        #expect(done.progress == JobProgress(done: 3, total: 3))

        let status = try await server.send(.GET, job.statusUrl).decode(JobStatus.self)
        #expect(status.status == .done)
        let results = try #require(status.results)
        #expect(results.map(\.index) == [0, 1, 2])
        #expect(results[0].result?.ticker == "AAPL")
        #expect(results[1].error?.code == .unknownTicker)

        // A late subscriber gets the whole story replayed.
        let replay = parseEvents(try await server.send(.GET, job.eventsUrl).text)
        #expect(replay.map(\.name) == ["item", "item", "item", "done"])
        try await server.stop()
    }

    @Test("POST …/cancel cancels a running job and keeps its record and what finished")
    func cancel() async throws {
        let server = try await TestServer.start {
            $0.workers = 1
            $0.cacheEnabled = false
        }
        let tickers = Array(repeating: "\"GOOG\"", count: 1_000).joined(separator: ",")
        let created = try await server.send(.POST, "/v1/jobs", json: "{\"tickers\":[\(tickers)],\"strategy\":\"macd_cross\"}")
        let job = try created.decode(JobCreated.self)
        let cancelled = try await server.send(.POST, job.statusUrl + "/cancel")
        #expect(cancelled.status == 200)
        let status = try cancelled.decode(JobStatus.self)
        #expect(status.status == .cancelled)
        #expect(status.progress.done < 1_000)
        try await Task.sleep(for: .milliseconds(200))
        let later = try await server.send(.GET, job.statusUrl).decode(JobStatus.self)
        #expect(later.status == .cancelled)
        #expect(later.progress.done <= status.progress.done + 1)
        #expect(later.results?.count == later.progress.done)
        let events = parseEvents(try await server.send(.GET, job.eventsUrl).text)
        #expect(events.last?.name == "done")
        #expect(events.last?.data.contains("\"cancelled\"") == true)
        // Cancelling again returns the same state.
        #expect(try await server.send(.POST, job.statusUrl + "/cancel").decode(JobStatus.self).status == .cancelled)
        #expect(try await server.send(.GET, job.statusUrl).status == 200)
        try await server.stop()
    }

    @Test("DELETE removes a running job and its items: every read is 404 after, and its queued work never runs")
    func delete() async throws {
        let server = try await TestServer.start {
            $0.workers = 1
            $0.cacheEnabled = false
        }
        let tickers = Array(repeating: "\"GOOG\"", count: 1_000).joined(separator: ",")
        let job = try await server.send(.POST, "/v1/jobs", json: "{\"tickers\":[\(tickers)],\"strategy\":\"macd_cross\"}").decode(JobCreated.self)
        let deleted = try await server.send(.DELETE, job.statusUrl)
        #expect(deleted.status == 204 && deleted.body.isEmpty, "\(deleted.text)")
        for path in [job.statusUrl, job.eventsUrl, job.statusUrl + "/report"] {
            let reply = try await server.send(.GET, path)
            #expect(reply.status == 404, "\(path): \(reply.text)")
            #expect(try reply.decode(Problem.self).code == .unknownJob)
        }
        #expect(try await server.send(.POST, job.statusUrl + "/cancel").status == 404)
        #expect(try await server.send(.DELETE, job.statusUrl).status == 404)
        let list = try await server.send(.GET, "/v1/jobs").decode(JobList.self)
        #expect(!list.jobs.contains { $0.id == job.id })
        // Nothing of it stays queued, and nothing of it is stored later (a running item's result is dropped).
        try await Task.sleep(for: .milliseconds(200))
        #expect(try await server.send(.GET, "/v1/cluster").decode(ClusterSnapshot.self).queued == 0)
        let storage = try await StorageKind.openCurrent(path: server.configuration.databasePath)
        #expect(try await storage.jobItems(jobID: job.id).isEmpty)
        #expect(try await storage.job(id: job.id) == nil)
        await storage.close()

        // An ended job is deleted the same way.
        let small = try await server.send(.POST, "/v1/jobs", json: #"{"tickers":["AAPL"],"strategy":"sma_cross"}"#).decode(JobCreated.self)
        for _ in 0..<200 {
            if try await server.send(.GET, small.statusUrl).decode(JobStatus.self).status == .done { break }
            try await Task.sleep(for: .milliseconds(20))
        }
        #expect(try await server.send(.GET, small.statusUrl).decode(JobStatus.self).status == .done)
        #expect(try await server.send(.DELETE, small.statusUrl).status == 204)
        #expect(try await server.send(.GET, small.statusUrl).status == 404)
        try await server.stop()
    }
}

/// One Server-Sent Event.
struct ServerSentEvent {
    var name: String
    var data: String
}

/// Splits an event stream into events.
func parseEvents(_ text: String) -> [ServerSentEvent] {
    text.components(separatedBy: "\n\n").compactMap { block in
        var name = "message"
        var data: [String] = []
        for line in block.split(separator: "\n") {
            if line.hasPrefix("event: ") { name = String(line.dropFirst(7)) }
            if line.hasPrefix("data: ") { data.append(String(line.dropFirst(6))) }
        }
        return data.isEmpty ? nil : ServerSentEvent(name: name, data: data.joined(separator: "\n"))
    }
}
