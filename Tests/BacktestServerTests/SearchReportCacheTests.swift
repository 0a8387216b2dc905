import BacktestAPI
import BacktestResearch
import Foundation
import Logging
import NIOHTTP1
import Testing

@testable import BacktestServer

/// A finished search is assembled (its units merged, CSCV run, its winner run again) once per
/// node: the status route and the page share the assembly.
@Suite(.serialized) struct SearchReportCacheTests {
    /// The value of a counter in `/metrics` (0 when absent).
    static func counter(_ name: String, in server: TestServer) async throws -> Double {
        let text = try await server.send(.GET, "/metrics").text
        let line = text.split(separator: "\n").first { $0.hasPrefix(name + " ") }
        return line.flatMap { $0.split(separator: " ").last }.flatMap { Double($0) } ?? 0
    }

    @Test("a finished search viewed twice as a page and polled twice is assembled once, by the first view")
    func statusAndPageShareOneAssembly() async throws {
        var configuration = BacktestServer.Configuration(host: "127.0.0.1", port: 0, databasePath: TestServer.temporaryDatabase(), workers: 2)
        configuration.checksReplies = true
        var logger = Logger(label: "test.search-report-cache")
        logger.logLevel = .warning
        try await withRunningServer(configuration: configuration, logger: logger) { running in
            let server = TestServer(server: running)
            let metric = "backtest_search_assemblies_total"
            let created = try await server.send(.POST, "/v1/optimizations", json: SearchRobustnessTests.googSearch).decode(JobCreated.self)
            #expect(parseEvents(try await server.send(.GET, created.eventsUrl).text).last?.name == "done")
            #expect(try await Self.counter(metric, in: server) == 0, "nothing asked for the result yet")

            // The page first: it assembles the search (through the cache), once.
            for view in 1...2 {
                let page = try await server.send(.GET, "/v1/optimizations/\(created.id)/report")
                #expect(page.status == 200)
                #expect(page.text.contains("\"heatmaps\":[{") && page.text.contains("\"logit_histogram\""), "the assembly keeps what the page draws")
                #expect(try await Self.counter(metric, in: server) == 1, "view \(view)")
            }
            // The status reads the same assembly.
            for _ in 1...2 {
                let status = try await server.send(.GET, created.statusUrl).decode(OptimizationStatus.self)
                #expect(status.status == .done && status.result?.robustness?.trials == 175)
            }
            #expect(try await Self.counter(metric, in: server) == 1, "the status routes did not assemble it again")
        }
    }

    @Test("requests for one search during its assembly wait for it; a failure is not kept")
    func concurrentAndFailed() async throws {
        let cache = SearchReportCache()
        let assembly = SearchAssembly(
            report: OptimizationReport(parameters: ["fast"], statistics: [], objective: .init(statistic: "sqn", direction: "maximize"))
        )
        let gate = AssemblyGate()
        let make: @Sendable () async throws -> SearchAssembly = {
            await gate.enter()
            while await !gate.released { try await Task.sleep(for: .milliseconds(5)) }
            return assembly
        }
        async let first = cache.assembly("a", make: make)
        async let second = cache.assembly("a", make: make)
        // One assembly is running; the other request comes in meanwhile and waits for it.
        while cache.assembled < 1 { try await Task.sleep(for: .milliseconds(5)) }
        try await Task.sleep(for: .milliseconds(100))
        await gate.release()
        let (a, b) = try await (first, second)
        #expect(a.report.parameters == ["fast"] && b.report.parameters == ["fast"])
        var made = await gate.made
        #expect(cache.assembled == 1 && made == 1)
        _ = try await cache.assembly("a", make: make)
        made = await gate.made
        #expect(cache.assembled == 1 && made == 1, "a hit")

        struct Broken: Error {}
        await #expect(throws: Broken.self) { try await cache.assembly("b") { throw Broken() } }
        let retried = try await cache.assembly("b", make: make)
        #expect(retried.report.parameters == ["fast"] && cache.assembled == 3, "the failed attempt was not kept")
    }
}

/// Counts the assemblies a test's `make` started and holds them until released.
private actor AssemblyGate {
    private(set) var made = 0
    private(set) var released = false

    func enter() { made += 1 }
    func release() { released = true }
}
