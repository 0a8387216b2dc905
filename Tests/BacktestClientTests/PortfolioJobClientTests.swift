import BacktestAPI
import BacktestClient
import BacktestEngine
import BacktestJSON
import Foundation
import Testing

/// The Swift client's portfolio jobs against the real server: submit many portfolios, read
/// their items in order, each the reply of `POST /v1/portfolios`.
@Suite(.serialized) struct PortfolioJobClientTests {
    /// 1,000 momentum portfolios rebalanced every bar, each with its own cash: a job that
    /// runs long enough on one worker to be caught (and cancelled) mid-way.
    static let slowPortfolios = (0..<1_000).map { i in
        PortfolioRequest(
            tickers: ["AAPL", "AMZN", "GOOG", "META", "MSFT", "NFLX", "NVDA"],
            allocation: .momentum(lookback: 20, top: 3),
            schedule: .everyNBars(1),
            cash: 100_000 + Double(i)
        )
    }

    static let equal = PortfolioRequest(
        tickers: ["AAPL", "MSFT", "GOOG"],
        start: "2018-01-01",
        end: "2020-12-31",
        allocation: .equal,
        schedule: .monthly,
        include: ["equity"]
    )
    static let momentum = PortfolioRequest(
        tickers: ["GOOG", "NVDA", "META", "AAPL"],
        start: "2018-01-01",
        end: "2021-12-31",
        allocation: .momentum(lookback: 60, top: 2),
        schedule: .weekly,
        commission: 0.001
    )

    @Test func runPortfolioJobReturnsEachPortfolioInOrder() async throws {
        try await RealServer.with { server in
            try await BacktestClient.withClient(configuration: .testing(server.url)) { client in
                let unknown = PortfolioRequest(tickers: ["AAPL", "NOPE"], allocation: .equal, schedule: .monthly)
                let overweight = PortfolioRequest(tickers: ["AAPL", "MSFT"], allocation: .fixed(["AAPL": 0.7, "MSFT": 0.6]), schedule: .monthly)
                let items = try await client.runPortfolioJob([Self.equal, unknown, overweight, Self.momentum])
                #expect(items.map(\.index) == [0, 1, 2, 3])
                // Successes are the replies of POST /v1/portfolios.
                for (index, request) in [(0, Self.equal), (3, Self.momentum)] {
                    let direct = try JSONReader.parse(try await client.portfolio(request))
                    #expect(items[index].result == direct, "item \(index)")
                    #expect(items[index].error == nil)
                }
                #expect(items[0].statistic("return_pct")?.isFinite == true)
                #expect(items[1].result == nil && items[1].error?.code == .unknownTicker && items[1].error?.status == 404)
                #expect(items[2].result == nil && items[2].error?.field == "allocation.weights" && items[2].error?.status == 422)
                #expect(items[2].statistic("return_pct") == nil)
            }
        }
    }

    @Test func eventsDeliverEachPortfolioOnceThenDone() async throws {
        try await RealServer.with { server in
            try await BacktestClient.withClient(configuration: .testing(server.url)) { client in
                let unknown = PortfolioRequest(tickers: ["NOPE"], allocation: .equal, schedule: .monthly)
                let created = try await client.submitPortfolioJob([Self.equal, Self.momentum, unknown])
                var items: [PortfolioJobItem] = []
                var final: JobStatus?
                for try await event in client.portfolioJobStreamEvents(created.id) {
                    switch event {
                    case .item(let progress, let item):
                        items.append(item)
                        #expect(progress.total == 3 && progress.done >= items.count)
                    case .done(let status): final = status
                    case .other: break
                    }
                }
                #expect(items.map(\.index).sorted() == [0, 1, 2])
                #expect(items.first { $0.index == 2 }?.error?.code == .unknownTicker)
                #expect(items.first { $0.index == 1 }?.statistic("sharpe_ratio")?.isFinite == true)
                #expect(final?.status == .done && final?.progress == JobProgress(done: 3, total: 3))
                // A batch job's backtest items are not portfolio replies: named, not misread.
                let batch = try await client.submitJob([BacktestRequest(ticker: "AAPL", strategy: "buy_and_hold")])
                let misread = await #expect(throws: BacktestClientError.self) {
                    for try await _ in client.portfolioJobStreamEvents(batch.id) {}
                }
                #expect(misread?.code == .invalidReply)
            }
        }
    }

    @Test func statusWhileRunningThenCancelAndDelete() async throws {
        try await RealServer.with(workers: 1) { server in
            try await BacktestClient.withClient(configuration: .testing(server.url)) { client in
                let many = Self.slowPortfolios
                let created = try await client.submitPortfolioJob(many)
                let running = try await client.portfolioJobStatus(created.id)
                #expect(running.id == created.id && running.progress.total == 1_000)
                #expect(running.items == nil || running.status.hasEnded)
                // cancelPortfolioJob returns the status after cancelling, typed, with what finished.
                let cancelled = try await client.cancelPortfolioJob(created.id)
                #expect(cancelled.id == created.id && cancelled.status == .cancelled && cancelled.progress.total == 1_000)
                let items = try #require(cancelled.items)
                #expect(items.count == cancelled.progress.done && items.count < 1_000)
                #expect(items.allSatisfy { $0.result != nil && $0.statistic("return_pct") != nil })
                #expect(items.map(\.index) == items.map(\.index).sorted())
                // Read again, and cancelled again (an ended job is returned unchanged): the same items.
                let read = try await client.portfolioJobStatus(created.id)
                let again = try await client.cancelPortfolioJob(created.id)
                for status in [read, again] {
                    #expect(status.status == .cancelled && status.progress == cancelled.progress)
                    #expect(status.items?.map(\.index) == items.map(\.index))
                    #expect(status.items?.map(\.result) == items.map(\.result))
                }
                try await client.deleteJob(created.id)
                let gone = await #expect(throws: BacktestClientError.self) { try await client.portfolioJobStatus(created.id) }
                #expect(gone?.status == 404)
            }
        }
    }

    @Test func cancelPortfolioJobNamesWhatIsNotAPortfolioJob() async throws {
        try await RealServer.with { server in
            try await BacktestClient.withClient(configuration: .testing(server.url)) { client in
                // A batch job's items (with their tickers) are not portfolio replies: invalid_reply.
                let batch = try await client.submitJob(
                    ["AAPL", "MSFT", "GOOG"].map { BacktestRequest(ticker: $0, start: "2018-01-01", end: "2020-12-31", strategy: "sma_cross") }
                )
                var polls = 0
                while try await !client.jobStatus(batch.id).status.hasEnded, polls < 500 {
                    polls += 1
                    try await Task.sleep(for: .milliseconds(20))
                }
                let misread = await #expect(throws: BacktestClientError.self) { try await client.cancelPortfolioJob(batch.id) }
                #expect(misread?.code == .invalidReply && misread?.status == 200)
                #expect(try await client.jobStatus(batch.id).results?.count == 3)
                // An unknown job is the server's 404; a malformed id is refused before sending.
                let unknown = await #expect(throws: BacktestClientError.self) { try await client.cancelPortfolioJob("no-such-job") }
                #expect(unknown?.status == 404)
                let malformed = await #expect(throws: BacktestClientError.self) { try await client.cancelPortfolioJob("../jobs") }
                #expect(malformed?.code == .invalidJobID)
            }
        }
    }

    @Test func theCLIReadsAPortfolioJobsStatus() async throws {
        try await RealServer.with { server in
            let unknown = PortfolioRequest(tickers: ["NOPE"], allocation: .equal, schedule: .monthly)
            let id = try await BacktestClient.withClient(configuration: .testing(server.url)) { client in
                let created = try await client.submitPortfolioJob([Self.equal, unknown])
                var polls = 0
                while try await !client.portfolioJobStatus(created.id).status.hasEnded, polls < 500 {
                    polls += 1
                    try await Task.sleep(for: .milliseconds(20))
                }
                return created.id
            }
            let table = try await CLITests.backtest(["jobs", "status", id, "--server", server.url])
            #expect(table.status == 0, "\(table.stderr)")
            #expect(table.stdout.contains("\(id)  done  2/2"), "\(table.stdout)")
            #expect(table.stdout.contains("AAPL,MSFT,GOOG") && table.stdout.contains("unknown_ticker"), "\(table.stdout)")
            #expect(table.stdout.contains("1 succeeded, 1 failed"), "\(table.stdout)")
            let json = try await CLITests.backtest(["jobs", "status", id, "--server", server.url, "--json"])
            #expect(json.status == 0, "\(json.stderr)")
            let status = try PortfolioJobStatus(json: try JSONReader.parse(Array(json.stdout.utf8)))
            #expect(status.items?.map(\.index) == [0, 1] && status.items?[0].statistic("return_pct") != nil)
            #expect(status.items?[1].error?.code == .unknownTicker)
            // `jobs watch` follows it by its status and prints the same table; exit 1: one failed.
            let watch = try await CLITests.backtest(["jobs", "watch", id, "--server", server.url])
            #expect(watch.status == 1, "\(watch.stderr)")
            #expect(watch.stdout.contains("\(id)  done  2/2") && watch.stdout.contains("1 succeeded, 1 failed"), "\(watch.stdout)")
        }
    }

    @Test func anEmptyJobIsRefusedNamingTheField() async throws {
        try await RealServer.with { server in
            try await BacktestClient.withClient(configuration: .testing(server.url)) { client in
                let refused = await #expect(throws: BacktestClientError.self) { try await client.submitPortfolioJob([]) }
                #expect(refused?.status == 422 && refused?.problem?.field == "portfolios")
            }
        }
    }

    @Test func aStatusThatIsNotAPortfolioJobsIsNamed() throws {
        let json = try JSONReader.parse(Array(#"{"id":"x","status":"done","progress":{"done":1,"total":1},"results":[{"index":0}]}"#.utf8))
        #expect(throws: JSONReadError.self) { try PortfolioJobStatus(json: json) }
        let bad = try JSONReader.parse(Array(#"{"id":"x","status":"exploded","progress":{"done":1,"total":1}}"#.utf8))
        #expect(throws: JSONReadError.self) { try PortfolioJobStatus(json: bad) }
        let ok = try JSONReader.parse(Array(#"{"id":"x","status":"running","progress":{"done":1,"total":3}}"#.utf8))
        let status = try PortfolioJobStatus(json: ok)
        #expect(status.items == nil && status.progress == JobProgress(done: 1, total: 3) && status.status == .running)
    }
}
