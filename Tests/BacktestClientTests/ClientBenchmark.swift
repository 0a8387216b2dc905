import BacktestAPI
import BacktestClient
import Foundation
import Testing

/// The client benchmark (BENCHMARKS.md, "Client"): the seed scenario end to end on loopback
/// against the real server. Run in release with `BACKTEST_CLIENT_BENCHMARK=1`:
///
///     swift build -c release --build-tests -Xswiftc -enable-testing
///     BACKTEST_CLIENT_BENCHMARK=1 swift test -c release --skip-build -Xswiftc -enable-testing --filter ClientBenchmark
///
/// (`-enable-testing` because the server's tests use `@testable import`.)
@Suite(.serialized, .enabled(if: ProcessInfo.processInfo.environment["BACKTEST_CLIENT_BENCHMARK"] == "1"))
struct ClientBenchmark {
    static let tickers = ["AAPL", "AMZN", "GOOG", "META", "MSFT", "NVDA"]

    static func request(_ ticker: String, fast: Int = 10, slow: Int = 30) -> BacktestRequest {
        BacktestRequest(
            ticker: ticker, start: "2020-01-01", end: "2020-12-31", strategy: "sma_cross",
            params: ["fast": .number(Double(fast)), "slow": .number(Double(slow))])
    }

    /// 600 distinct requests: 6 tickers x 20 fast x 5 slow.
    static let sixHundred: [BacktestRequest] = (0..<600).map { i in
        request(tickers[i % 6], fast: 5 + (i / 6) % 20, slow: 30 + (i / 120))
    }

    static func seconds(_ d: Duration) -> Double { Double(d.components.seconds) + Double(d.components.attoseconds) / 1e18 }

    static func report(_ line: String) {
        FileHandle.standardError.write(Data("BENCH \(line)\n".utf8))
    }

    static func median(_ values: [Double]) -> Double { values.sorted()[values.count / 2] }

    @Test func sixTickersSequentialVersusFourWorkers() async throws {
        for cache in [false, true] {
            let server = try await RealServer(cache: cache)
            let requests = Self.tickers.map { Self.request($0) }
            try await BacktestClient.withClient(configuration: .servers(server.url)) { client in
                _ = await client.runBatch(requests, maxConcurrency: 4)  // warm up: connections, data, cache
                for workers in [1, 4] {
                    var times: [Double] = []
                    let clock = ContinuousClock()
                    for _ in 0..<30 {
                        let start = clock.now
                        let results = await client.runBatch(requests, maxConcurrency: workers)
                        times.append(Self.seconds(clock.now - start))
                        #expect(results.allSatisfy { (try? $0.get()) != nil })
                    }
                    Self.report(String(
                        format: "6 tickers x 1 year, cache %@, workers %d: median %.2f ms, best %.2f ms, %.0f backtests/s (median)",
                        cache ? "on" : "off", workers, Self.median(times) * 1000, (times.min() ?? 0) * 1000, 6 / Self.median(times)))
                }
                var single: [Double] = [], one: [Double] = [], oneByOne: [Double] = []
                let clock = ContinuousClock()
                for _ in 0..<30 {
                    let start = clock.now
                    for r in requests { _ = try await client.run(r) }
                    oneByOne.append(Self.seconds(clock.now - start))
                }
                Self.report(String(
                    format: "  6 tickers one request at a time (the old client's way, on a kept-alive connection): median %.2f ms",
                    Self.median(oneByOne) * 1000))
                for _ in 0..<30 {
                    var start = clock.now
                    _ = try await client.runBatchCall(requests)
                    single.append(Self.seconds(clock.now - start))
                    start = clock.now
                    _ = try await client.run(requests[0])
                    one.append(Self.seconds(clock.now - start))
                }
                let reply = try await client.runBatchCall(requests)
                let data = try JSONEncoder().encode(reply)
                let decodeStart = clock.now
                for _ in 0..<100 { _ = try JSONDecoder().decode(BatchReply.self, from: data) }
                Self.report(String(format: "  decoding a 6-item batch reply (%d bytes): %.3f ms", data.count, Self.seconds(clock.now - decodeStart) * 10))
                Self.report(String(
                    format: "  one /v1/backtests/batch call of 6: median %.2f ms; one /v1/backtests call: median %.2f ms",
                    Self.median(single) * 1000, Self.median(one) * 1000))
                Self.report("  connections opened by the client: \(client.connectionsOpened)")
            }
            // Cold: a new client each time (connect + resolve included).
            var cold: [Double] = []
            let clock = ContinuousClock()
            for _ in 0..<10 {
                let start = clock.now
                _ = try await BacktestClient.withClient(configuration: .servers(server.url)) { client in
                    await client.runBatch(requests, maxConcurrency: 4)
                }
                cold.append(Self.seconds(clock.now - start))
            }
            Self.report(String(format: "6 tickers, new client each run (cold connections), cache %@, workers 4: median %.2f ms",
                cache ? "on" : "off", Self.median(cold) * 1000))
            await server.stop()
        }
    }

    @Test func sixHundredRequestsVersusSingleRouteThroughput() async throws {
        // Single-route throughput: 600 POST /v1/backtests from N tasks sharing one client.
        var bestSingle = 0.0
        for concurrency in [2, 4, 8, 16] {
            let server = try await RealServer(cache: false)
            let (elapsed, opened) = try await BacktestClient.withClient(configuration: .servers(server.url)) { client in
                _ = try await client.run(Self.request("AAPL", fast: 3))  // warm up
                let clock = ContinuousClock()
                let start = clock.now
                await withTaskGroup(of: Void.self) { group in
                    let next = LockedBox(0)
                    for _ in 0..<concurrency {
                        group.addTask {
                            while true {
                                let i = next.withLock { n in
                                    defer { n += 1 }
                                    return n
                                }
                                guard i < Self.sixHundred.count else { return }
                                _ = try? await client.run(Self.sixHundred[i])
                            }
                        }
                    }
                }
                return (Self.seconds(clock.now - start), client.connectionsOpened)
            }
            let rate = 600 / elapsed
            bestSingle = max(bestSingle, rate)
            Self.report(String(format: "single route, 600 requests, %2d in flight: %.3f s, %.0f req/s, %d connections", concurrency, elapsed, rate, opened))
            await server.stop()
        }
        // The client's batch: packs into /v1/backtests/batch calls.
        for workers in [2, 4] {
            let server = try await RealServer(cache: false)
            let (elapsed, opened, ok) = try await BacktestClient.withClient(configuration: .servers(server.url)) { client in
                _ = try await client.run(Self.request("AAPL", fast: 3))  // warm up
                let clock = ContinuousClock()
                let start = clock.now
                let results = await client.runBatch(Self.sixHundred, maxConcurrency: workers)
                return (Self.seconds(clock.now - start), client.connectionsOpened, results.filter { (try? $0.get()) != nil }.count)
            }
            #expect(ok == 600)
            let rate = 600 / elapsed
            Self.report(String(
                format: "runBatch 600 requests, --workers %d: %.3f s, %.0f req/s, %d connections, %.0f %% of the best single-route rate",
                workers, elapsed, rate, opened, rate / bestSingle * 100))
            await server.stop()
        }
    }
}
