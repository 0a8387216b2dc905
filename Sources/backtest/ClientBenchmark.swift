import BacktestAPI
import BacktestClient
import BacktestEngine
import Foundation
import Synchronization

/// `backtest bench --client`: the client end to end over loopback (BENCHMARKS.md, "Client").
///
/// Against `--server URL` (start it with `--no-cache`: the scenarios repeat requests, and
/// cached replies would measure the cache), or an embedded server with the result cache
/// off. Connection counts are all a client opened (its warm-up's included: connections are
/// kept alive and reused). Scenarios:
/// six tickers x one year (2020, sma_cross 10/30) through `runBatch` and one request at a
/// time; then 600 distinct requests (6 tickers x 20 `fast` x 5 `slow`) through the single
/// route at several concurrencies and through `runBatch`, with the batch's rate as a
/// percentage of the best single-route rate.
struct ClientBenchmark {
    var rounds: Int

    static let tickers = ["AAPL", "AMZN", "GOOG", "META", "MSFT", "NVDA"]

    static func request(_ ticker: String, fast: Int = 10, slow: Int = 30) -> BacktestRequest {
        BacktestRequest(
            ticker: ticker,
            start: "2020-01-01",
            end: "2020-12-31",
            strategy: "sma_cross",
            params: ["fast": .number(Double(fast)), "slow": .number(Double(slow))]
        )
    }

    /// 600 distinct requests: 6 tickers x 20 fast x 5 slow.
    static let sixHundred: [BacktestRequest] = (0..<600).map { i in
        request(tickers[i % 6], fast: 5 + (i / 6) % 20, slow: 30 + (i / 120))
    }

    /// One printed figure (`--json` prints these one per line).
    struct Figure: Encodable {
        var name: String
        var seconds: Double
        var requestsPerS: Double
        var connections: Int
        enum CodingKeys: String, CodingKey {
            case name, seconds, connections
            case requestsPerS = "requests_per_s"
        }
    }

    func run(server: String?, json: Bool) async throws {
        let emit: @Sendable (Figure, String) -> Void = { figure, extra in
            if json {
                Terminal.stdout(((try? ReportJSON.encode(figure)) ?? "{}") + "\n")
            } else {
                Terminal.stdout(
                    String(
                        format: "%@: %.2f ms, %.0f req/s, %d connection(s)%@\n",
                        figure.name,
                        figure.seconds * 1000,
                        figure.requestsPerS,
                        figure.connections,
                        extra
                    )
                )
            }
        }
        if let server {
            try await measure(url: server, emit: emit)
        } else {
            try await EmbeddedServer.withServer(cacheEnabled: false) { endpoint in
                try await measure(url: endpoint.url, emit: emit)
            }
        }
    }

    private func measure(url: String, emit: @escaping @Sendable (Figure, String) -> Void) async throws {
        try await measureSixTickers(url: url, emit: emit)
        try await measureSixHundred(url: url, emit: emit)
    }

    /// Six tickers on one warmed-up client: `runBatch` at 1 and 4 workers, then one request
    /// at a time; medians of `rounds` runs.
    private func measureSixTickers(url: String, emit: @escaping @Sendable (Figure, String) -> Void) async throws {
        let clock = ContinuousClock()
        let six = Self.tickers.map { Self.request($0) }
        // Six tickers: median of `rounds` runs on one warmed-up client.
        try await BacktestClient.withClient(configuration: .servers(url)) { client in
            _ = await client.runBatch(six, maxConcurrency: 4)
            for workers in [1, 4] {
                var times: [Double] = []
                for _ in 0..<rounds {
                    let start = clock.now
                    let results = await client.runBatch(six, maxConcurrency: workers)
                    times.append((clock.now - start).seconds)
                    try Self.check(results)
                }
                let median = Self.median(times)
                emit(
                    Figure(
                        name: "6 tickers x 1 year, runBatch --workers \(workers)",
                        seconds: median,
                        requestsPerS: 6 / median,
                        connections: client.connectionsOpened
                    ),
                    String(format: " (median of %d, best %.2f ms)", rounds, (times.min() ?? 0) * 1000)
                )
            }
            var times: [Double] = []
            for _ in 0..<rounds {
                let start = clock.now
                for r in six { _ = try await client.run(r) }
                times.append((clock.now - start).seconds)
            }
            let median = Self.median(times)
            emit(
                Figure(
                    name: "6 tickers x 1 year, one request at a time",
                    seconds: median,
                    requestsPerS: 6 / median,
                    connections: client.connectionsOpened
                ),
                String(format: " (median of %d)", rounds)
            )
        }
    }

    /// 600 requests: the single route at several concurrencies, then `runBatch`; a fresh
    /// client each, the median of `repeats` passes (a pass takes 50-200 ms, so one alone
    /// swings with the machine).
    private func measureSixHundred(url: String, emit: @escaping @Sendable (Figure, String) -> Void) async throws {
        let clock = ContinuousClock()
        let repeats = max(1, min(5, rounds))
        var bestSingle = 0.0
        for concurrency in [4, 8, 16] {
            let (elapsed, opened) = try await BacktestClient.withClient(configuration: .servers(url)) { client in
                _ = try await client.run(Self.request("AAPL", fast: 3))  // warm up
                var times: [Double] = []
                for _ in 0..<repeats {
                    let next = TicketCounter()
                    let start = clock.now
                    try await withThrowingTaskGroup(of: Void.self) { group in
                        for _ in 0..<concurrency {
                            group.addTask {
                                while true {
                                    let i = next.take()
                                    guard i < Self.sixHundred.count else { return }
                                    _ = try await client.run(Self.sixHundred[i])
                                }
                            }
                        }
                        try await group.waitForAll()
                    }
                    times.append((clock.now - start).seconds)
                }
                return (Self.median(times), client.connectionsOpened)
            }
            bestSingle = max(bestSingle, 600 / elapsed)
            emit(
                Figure(
                    name: "600 requests, single route, \(concurrency) in flight",
                    seconds: elapsed,
                    requestsPerS: 600 / elapsed,
                    connections: opened
                ),
                String(format: " (median of %d)", repeats)
            )
        }
        for workers in [2, 4] {
            let (elapsed, opened) = try await BacktestClient.withClient(configuration: .servers(url)) { client in
                _ = try await client.run(Self.request("AAPL", fast: 3))  // warm up
                var times: [Double] = []
                for _ in 0..<repeats {
                    let start = clock.now
                    let results = await client.runBatch(Self.sixHundred, maxConcurrency: workers)
                    times.append((clock.now - start).seconds)
                    try Self.check(results)
                }
                return (Self.median(times), client.connectionsOpened)
            }
            let rate = 600 / elapsed
            emit(
                Figure(name: "600 requests, runBatch --workers \(workers)", seconds: elapsed, requestsPerS: rate, connections: opened),
                String(format: " (median of %d), %.0f %% of the best single-route rate", repeats, rate / bestSingle * 100)
            )
        }
    }

    static func check(_ results: [Result<BacktestReply, BacktestClientError>]) throws {
        for result in results {
            if case .failure(let error) = result { throw CLIError(message: "benchmark request failed: \(error)", exitCode: 1) }
        }
    }

    static func median(_ values: [Double]) -> Double { values.sorted()[values.count / 2] }
}

/// Hands out 0, 1, 2, ... to concurrent tasks.
final class TicketCounter: Sendable {
    private let next = Atomic<Int>(0)

    /// The next number.
    func take() -> Int { next.add(1, ordering: .relaxed).oldValue }
}
