import BacktestAPI
import BacktestClient
import BacktestEngine
import Foundation
import Testing

/// The real client against the real server on port 0.
@Suite(.serialized) struct RealServerTests {
    static let tickers = ["AAPL", "AMZN", "GOOG", "META", "MSFT", "NVDA"]

    static func request(_ ticker: String, fast: Int = 10) -> BacktestRequest {
        BacktestRequest(
            ticker: ticker,
            start: "2020-01-01",
            end: "2020-12-31",
            strategy: "sma_cross",
            params: ["fast": .number(Double(fast)), "slow": .number(30)]
        )
    }

    @Test func runsOneBacktest() async throws {
        try await RealServer.with { server in
            let reply = try await BacktestClient.withClient(configuration: .testing(server.url)) { client in
                try await client.run(Self.request("AAPL"))
            }
            #expect(reply.ticker == "AAPL")
            #expect(reply.stats.trades > 0)
            #expect(reply.start.hasPrefix("2020-01"))
        }
    }

    @Test func batchWithMixedGoodAndBadTickersKeepsOrder() async throws {
        try await RealServer.with { server in
            let tickers = ["AAPL", "TSLA", "MSFT", "GOOG", "NOPE", "NVDA", "META", "AMZN"]
            let progress = LockedBox<[BatchProgress]>([])
            let results = try await BacktestClient.withClient(configuration: .testing(server.url)) { client in
                await client.runBatch(tickers.map { Self.request($0) }, maxConcurrency: 2) { p in progress.withLock { $0.append(p) } }
            }
            #expect(results.count == tickers.count)
            for (ticker, result) in zip(tickers, results) {
                switch result {
                case .success(let reply):
                    #expect(reply.ticker == ticker)
                case .failure(let error):
                    #expect(ticker == "TSLA" || ticker == "NOPE")
                    #expect(error.code == .unknownTicker, "\(error)")
                    #expect(error.message.contains(ticker))
                }
            }
            #expect(results.filter { (try? $0.get()) == nil }.count == 2)
            let last = progress.withLock { $0.last }
            #expect(last?.done == 8)
            #expect(last?.failed == 2)
            #expect(last?.total == 8)
        }
    }

    @Test func aBatchOf100AtConcurrency4OpensAtMost4Connections() async throws {
        try await RealServer.with(workers: 2) { server in
            let requests = (0..<100).map { Self.request(Self.tickers[$0 % 6], fast: 5 + $0 / 6) }
            let (results, opened) = try await BacktestClient.withClient(configuration: .testing(server.url)) { client in
                (await client.runBatch(requests, maxConcurrency: 4), client.connectionsOpened)
            }
            #expect(results.allSatisfy { (try? $0.get()) != nil })
            #expect(opened >= 1 && opened <= 4)
        }
    }

    @Test func singleRequestsFromManyTasksShareThePool() async throws {
        try await RealServer.with(workers: 2) { server in
            let opened = try await BacktestClient.withClient(configuration: .testing(server.url)) { client in
                await withTaskGroup(of: Void.self) { group in
                    for slot in 0..<4 {
                        group.addTask {
                            for i in 0..<25 { _ = try? await client.run(Self.request(Self.tickers[(slot + i) % 6], fast: 5 + i % 10)) }
                        }
                    }
                }
                return client.connectionsOpened
            }
            #expect(opened <= 4)
        }
    }

    @Test func defaultConcurrencyComesFromHealth() async throws {
        try await RealServer.with(workers: 3) { server in
            let n = try await BacktestClient.withClient(configuration: .testing(server.url)) { client in await client.serverConcurrency() }
            #expect(n == 3)
        }
    }

    @Test func failoverWhenOneOfTwoServersStopsMidBatch() async throws {
        let a = try await RealServer(workers: 2)
        let b = try await RealServer(workers: 2)
        let requests = (0..<240).map { Self.request(Self.tickers[$0 % 6], fast: 3 + ($0 / 6) % 25) }
        let stopping = LockedBox<Task<Void, Never>?>(nil)
        let results = try await BacktestClient.withClient(configuration: .testing("\(a.url),\(b.url)")) { client in
            await client.runBatch(requests, maxConcurrency: 4) { progress in
                if progress.done > 0 {
                    stopping.withLock { t in if t == nil { t = Task { await a.stop() } } }
                }
            }
        }
        await stopping.withLock { $0 }?.value
        #expect(results.count == requests.count)
        for (i, result) in results.enumerated() {
            let reply = try #require(try? result.get(), "item \(i): \(result)")
            #expect(reply.ticker == requests[i].ticker)
            #expect(reply.params["fast"] == requests[i].params["fast"])
        }
        await b.stop()
    }

    @Test func resolutionFindsTheLocalServerAndADiscoveredOne() async throws {
        try await RealServer.with { server in
            let local = Endpoint(host: "127.0.0.1", port: server.port)
            var configuration = BacktestClient.Configuration(resolution: .init(environment: [:], localDefault: local))
            let r1 = try await BacktestClient.withClient(configuration: configuration) { try await $0.resolve() }
            #expect(r1.source == .localDefault)

            let folder = try TemporaryFolder()
            defer { folder.remove() }
            let script = try folder.write("ip.sh", "#!/bin/sh\necho 'External IP: 127.0.0.1'\n")
            configuration.resolution = .init(
                environment: ["BACKTEST_DISCOVER": "sh \(script)", "BACKTEST_DISCOVER_PORT": String(server.port), "XDG_CONFIG_HOME": folder.path],
                localDefault: Endpoint(host: "127.0.0.1", port: 1)
            )
            let reply = try await BacktestClient.withClient(configuration: configuration) { client in
                let r = try await client.resolve()
                #expect(r.source == .discovery)
                #expect(r.endpoints == [local])
                return try await client.run(Self.request("MSFT"))
            }
            #expect(reply.ticker == "MSFT")
        }
    }

    @Test func rediscoversOnceWhenTheDiscoveredServerGoesAway() async throws {
        let folder = try TemporaryFolder()
        defer { folder.remove() }
        let first = try await RealServer()
        let portFile = try folder.write("port", String(first.port))
        let script = try folder.write("ip.sh", "#!/bin/sh\necho \"External IP: 127.0.0.1:$(cat \(portFile))\"\n")
        var configuration = BacktestClient.Configuration.testing("")
        configuration.resolution = .init(
            environment: ["BACKTEST_DISCOVER": "sh \(script)", "XDG_CONFIG_HOME": folder.path],
            localDefault: Endpoint(host: "127.0.0.1", port: 1)
        )
        configuration.retryPolicy = RetryPolicy(maximumRetries: 1, jitter: false)
        let second = try await RealServer()
        try await BacktestClient.withClient(configuration: configuration) { client in
            _ = try await client.run(Self.request("AAPL"))
            #expect(await client.endpoints.map(\.port) == [first.port])
            // The VM restarts with a new address.
            await first.stop()
            try folder.write("port", String(second.port))
            let reply = try await client.run(Self.request("GOOG"))
            #expect(reply.ticker == "GOOG")
            #expect(await client.endpoints.map(\.port) == [second.port])
        }
        await second.stop()
    }

    @Test func apiKeyIsSentAndA401IsNotRetried() async throws {
        try await RealServer.with(apiKeys: ["s3cret-key-123456"]) { server in
            let sleeps = RecordedSleeps()
            let error = await #expect(throws: BacktestClientError.self) {
                try await BacktestClient.withClient(configuration: .testing(server.url, sleeps: sleeps)) { try await $0.run(Self.request("AAPL")) }
            }
            #expect(error?.status == 401)
            #expect(sleeps.delays.isEmpty)
            var configuration = BacktestClient.Configuration.testing(server.url)
            configuration.resolution.apiKey = "s3cret-key-123456"
            let reply = try await BacktestClient.withClient(configuration: configuration) { try await $0.run(Self.request("AAPL")) }
            #expect(reply.ticker == "AAPL")
        }
    }

    @Test func invalidRequestIs422AndNotRetried() async throws {
        try await RealServer.with { server in
            let sleeps = RecordedSleeps()
            var bad = Self.request("AAPL")
            bad.params["fast"] = .number(50)  // fast must be below slow
            let error = await #expect(throws: BacktestClientError.self) {
                try await BacktestClient.withClient(configuration: .testing(server.url, sleeps: sleeps)) { try await $0.run(bad) }
            }
            #expect(error?.status == 422 || error?.status == 400)
            #expect(sleeps.delays.isEmpty)
        }
    }

    @Test func jobsSubmitWatchAndStatus() async throws {
        try await RealServer.with { server in
            try await BacktestClient.withClient(configuration: .testing(server.url)) { client in
                let created = try await client.submitJob(Self.tickers.map { Self.request($0) } + [Self.request("TSLA")])
                var items: [BatchItem] = []
                var final: JobStatus?
                for try await event in client.jobStreamEvents(created.id) {
                    switch event {
                    case .item(let progress, let item):
                        items.append(item)
                        #expect(progress.total == 7)
                        #expect(progress.done >= items.count)
                    case .done(let status): final = status
                    case .other: break
                    }
                }
                #expect(items.count == 7)
                #expect(Set(items.map(\.index)) == Set(0..<7))  // each once
                #expect(final?.status == .done)
                let status = try await client.jobStatus(created.id)
                #expect(status.results?.count == 7)
                #expect(status.results?[6].error?.code == .unknownTicker)
                let missing = await #expect(throws: BacktestClientError.self) { try await client.jobStatus("nonexistent") }
                #expect(missing?.status == 404)
            }
        }
    }

    @Test func cancelKeepsTheJobAndDeleteRemovesIt() async throws {
        try await RealServer.with { server in
            try await BacktestClient.withClient(configuration: .testing(server.url)) { client in
                let created = try await client.submitJob(Array(repeating: Self.request("AAPL"), count: 2_000))
                let cancelled = try #require(try await client.cancelJob(created.id))
                #expect(cancelled.status == .cancelled || cancelled.status == .done)
                #expect(try await client.jobStatus(created.id).status == cancelled.status)
                try await client.deleteJob(created.id)
                let gone = await #expect(throws: BacktestClientError.self) { try await client.jobStatus(created.id) }
                #expect(gone?.status == 404)
                let again = await #expect(throws: BacktestClientError.self) { try await client.deleteJob(created.id) }
                #expect(again?.status == 404)
            }
        }
    }

    @Test func uploadReplaceAndRemoveTickersThroughTheClient() async throws {
        try await RealServer.with { server in
            try await BacktestClient.withClient(configuration: .testing(server.url)) { client in
                let created = try await client.uploadBars(BarsCSV.daily(count: 120).utf8, ticker: "wave")
                #expect(created.ticker == "WAVE")
                #expect(created.bars == 120)
                #expect(created.first == "2021-01-04")
                #expect(created.replaced == 0)
                #expect(created.contentHash.count == 64)
                let replaced = try await client.uploadBars(BarsCSV.daily(count: 60).utf8, ticker: "WAVE")
                #expect(replaced.replaced == 120)
                #expect(replaced.contentHash != created.contentHash)
                let reply = try await client.run(
                    BacktestRequest(ticker: "WAVE", strategy: "sma_cross", params: ["fast": .number(5), "slow": .number(20)])
                )
                #expect(reply.ticker == "WAVE")

                // A symbol with a character that must be escaped in a URL path.
                let index = try await client.uploadBars(BarsCSV.daily(count: 30).utf8, ticker: "^GSPC", adjust: false)
                #expect(index.ticker == "^GSPC")
                #expect(try await client.removeTicker("^GSPC") == TickerRemoval(ticker: "^GSPC", bars: 30))

                #expect(try await client.removeTicker("wave") == TickerRemoval(ticker: "WAVE", bars: 60))
                let gone = await #expect(throws: BacktestClientError.self) { try await client.removeTicker("WAVE") }
                #expect(gone?.code == .unknownTicker)
                #expect(gone?.status == 404)
            }
        }
    }

    @Test func aRefusedUploadNamesItsLineAndIsNotRetried() async throws {
        try await RealServer.with { server in
            let sleeps = RecordedSleeps()
            let error = await #expect(throws: BacktestClientError.self) {
                try await BacktestClient.withClient(configuration: .testing(server.url, sleeps: sleeps)) { client in
                    try await client.uploadBars(BarsCSV.badClose.utf8, ticker: "BAD")
                }
            }
            #expect(error?.code == .invalidNumber)
            #expect(error?.status == 422)
            #expect(error?.problem?.field == "body")
            #expect(error?.message == "422 from \(server.url): Invalid bars: upload:3: column Close: 'oops' is not a number; nothing was imported")
            #expect(sleeps.delays.isEmpty)
            let symbol = await #expect(throws: BacktestClientError.self) {
                try await BacktestClient.withClient(configuration: .testing(server.url)) { try await $0.uploadBars([], ticker: "../etc") }
            }
            #expect(symbol?.code == .invalidRequest)
            #expect(symbol?.status == nil)
        }
    }
}
