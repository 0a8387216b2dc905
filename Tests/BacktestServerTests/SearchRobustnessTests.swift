import BacktestAPI
import BacktestEngine
import BacktestOptimize
import BacktestResearch
import Foundation
import MarketData
import NIOHTTP1
import Testing

@testable import BacktestServer

/// The robustness block (DSR, PBO by CSCV, PSR, bootstrap) of a server search: the units store
/// their block statistics, the report merges them into the block the local optimizer gives on
/// the same data; units stored without them give a report without the block.
@Suite(.serialized) struct SearchRobustnessTests {
    static let googSearch =
        #"{"backtest":{"ticker":"GOOG","strategy":"sma_cross"},"grid":["fast=5..50:5","slow=10..200:10"],"constraint":"fast < slow","maximize":"sqn"}"#

    /// The block's numbers are finite and its probabilities in [0, 1].
    static func checkRanges(_ robustness: RobustnessSummary) {
        let numbers = [
            robustness.sharpe, robustness.sharpeStd, robustness.expectedMaxSharpe, robustness.degradation.slope, robustness.degradation.intercept,
        ]
        #expect(numbers.allSatisfy { $0.isFinite }, "\(robustness)")
        for probability in [robustness.pbo, robustness.probOOSLoss, robustness.psr, robustness.dsr, robustness.winnerPSR].compactMap(\.self) {
            #expect(probability >= 0 && probability <= 1, "\(robustness)")
        }
    }

    @Test("a 175-combination sma_cross search on GOOG (11 units): the local optimizer's robustness block, field for field")
    func strategySearch() async throws {
        let server = try await TestServer.start()
        defer { Task { try? await server.stop() } }
        let (_, status) = try await OptimizationRouteTests.run(server, Self.googSearch)
        #expect(status.status == .done && status.progress == JobProgress(done: 175, total: 175), "\(String(describing: status.error))")
        let robustness = try #require(status.result?.robustness)

        let request = try JSONDecoder().decode(OptimizationRequest.self, from: Data(Self.googSearch.utf8))
        let bars = try CSVBarStore().bars(for: "GOOG", from: nil, through: nil).bars
        let target = try StrategyTarget(bars: bars, request: request.backtest)
        let optimizer = try request.optimizer(target: target, concurrency: 1).withRobustness()
        let plan = try optimizer.plan()
        let expected = try #require(try optimizer.robustness(of: try await optimizer.run(plan), plan: plan))
        #expect(robustness == expected)
        #expect(robustness.trials == 175 && robustness.blocks == BlockLayout.defaultBlocks && robustness.periods == bars.count - 1)
        #expect(robustness.bootstrap != nil && robustness.winner != nil)
        Self.checkRanges(robustness)

        let page = try await server.send(.GET, "/v1/optimizations/\(status.id)/report")
        #expect(page.status == 200 && page.text.contains("\"robustness\""), "the page's data carries the block")
    }

    @Test("a portfolio search on the server: the local optimizer's robustness block")
    func portfolioSearch() async throws {
        let server = try await TestServer.start()
        defer { Task { try? await server.stop() } }
        let body = #"{"portfolio":"# + PortfolioSearchRouteTests.portfolio + #","grid":["lookback=20..120:20","top=1..3:1"],"top":3}"#
        let (_, status) = try await OptimizationRouteTests.run(server, body)
        #expect(status.status == .done, "\(String(describing: status.error))")
        let robustness = try #require(status.result?.robustness)

        let optimizer = try PortfolioSearchRouteTests.localOptimizer(body).withRobustness()
        let plan = try optimizer.plan()
        let expected = try #require(try optimizer.robustness(of: try await optimizer.run(plan), plan: plan))
        #expect(robustness == expected)
        #expect(robustness.trials == 18)
        Self.checkRanges(robustness)
    }

    @Test("units stored before the block (no 'trials') read back and give a report without it, never a failure")
    func oldUnits() async throws {
        let (pipeline, pool) = JobCancellationTests.pipeline()
        defer { pool.shutdown() }
        let request = try JSONDecoder().decode(OptimizationRequest.self, from: Data(Self.googSearch.utf8))
        let job = try OptimizationJob.prepare(request, pipeline: pipeline, limit: 1_000_000)
        var items: [(index: Int, bytes: [UInt8])] = []
        for index in 0..<job.itemCount {
            let outcome = try #require(await job.run(item: index, requestID: "test"))
            items.append((index, outcome.bytes))
        }
        let units = SearchJobs.units(items)
        #expect(units.count == job.itemCount && units.values.allSatisfy { $0.trials != nil })
        let current = try job.report(units)
        #expect(current.robustness?.trials == 175)

        // The same units as an older server stored them: no "trials" key.
        let old = try items.map { item in
            var object = try #require(try JSONSerialization.jsonObject(with: Data(item.bytes)) as? [String: Any])
            #expect(object.removeValue(forKey: "trials") != nil)
            return (index: item.index, bytes: Array(try JSONSerialization.data(withJSONObject: object)))
        }
        let oldUnits = SearchJobs.units(old)
        #expect(oldUnits.count == job.itemCount && oldUnits.values.allSatisfy { $0.trials == nil })
        let report = try job.report(oldUnits)
        #expect(report.robustness == nil)
        #expect(report.best?.params == current.best?.params && report.evaluated == 175)

        // One old unit among new ones: the block needs every combination, so none.
        var mixed = units
        mixed[0]?.trials = nil
        #expect(try job.report(mixed).robustness == nil)
    }

    @Test("robustness_blocks: the S a search uses; odd, out of 2...16, not a number, or a search without a block: 422 naming it")
    func explicitBlocks() async throws {
        let server = try await TestServer.start()
        defer { Task { try? await server.stop() } }
        let backtest = #""backtest":{"ticker":"GOOG","strategy":"sma_cross"},"grid":["fast=5..50:5","slow=10..200:10"],"constraint":"fast < slow""#
        let (_, status) = try await OptimizationRouteTests.run(server, "{" + backtest + #","robustness_blocks":8}"#)
        #expect(status.status == .done, "\(String(describing: status.error))")
        let robustness = try #require(status.result?.robustness)
        #expect(robustness.blocks == 8 && robustness.combinations == 70 && robustness.trials == 175)
        #expect(BlockLayout.reduction(blocks: robustness.blocks, trials: robustness.trials) == nil, "the user's choice needs no note")
        let cases: [(String, String)] = [
            ("{" + backtest + #","robustness_blocks":7}"#, "invalid_search"),
            ("{" + backtest + #","robustness_blocks":0}"#, "invalid_search"),
            ("{" + backtest + #","robustness_blocks":18}"#, "invalid_search"),
            ("{" + backtest + #","robustness_blocks":-2}"#, "invalid_search"),
            ("{" + backtest + #","robustness_blocks":"many"}"#, "invalid_field"),
            ("{" + backtest + #","robustness_blocks":8,"walk_forward":"train=1500,test=500"}"#, "invalid_search"),
            (
                #"{"backtest":{"strategy":"sma_cross"},"tickers":["GOOG","AAPL"],"grid":["fast=5,10"],"robustness_blocks":8}"#,
                "invalid_search"
            ),
        ]
        for (body, code) in cases {
            let reply = try await server.send(.POST, "/v1/optimizations", json: body)
            #expect(reply.status == 422, "\(body): \(reply.text)")
            let problem = try reply.decode(Problem.self)
            #expect(problem.code.rawValue == code && problem.field == "robustness_blocks", "\(body): \(reply.text)")
        }
    }

    @Test("walk-forward and multi-ticker searches keep no block statistics; one ticker and a portfolio do")
    func whichSearchesKeepIt() throws {
        let (pipeline, pool) = JobCancellationTests.pipeline()
        defer { pool.shutdown() }
        func job(_ body: String) throws -> any SearchJob {
            try SearchJobs.prepare(try JSONDecoder().decode(OptimizationRequest.self, from: Data(body.utf8)), pipeline: pipeline, limit: 1_000_000)
        }
        let grid = #""grid":["fast=5..10:5","slow=20..30:10"]"#
        let one = try #require(try job(#"{"backtest":{"ticker":"GOOG","strategy":"sma_cross"},"# + grid + "}") as? OptimizationJob)
        #expect(one.searches[0].optimizer.configuration.robustnessBlocks == .automatic)
        let several = try #require(
            try job(#"{"backtest":{"ticker":"GOOG","strategy":"sma_cross"},"tickers":["GOOG","AAPL"],"# + grid + "}") as? OptimizationJob
        )
        #expect(several.searches.allSatisfy { $0.optimizer.configuration.robustnessBlocks == nil })
        let walkForward = try #require(
            try job(#"{"backtest":{"ticker":"GOOG","strategy":"sma_cross"},"# + grid + #","walk_forward":"train=1500,test=500"}"#) as? OptimizationJob
        )
        #expect(walkForward.searches[0].optimizer.configuration.robustnessBlocks == nil)
        let portfolio = try #require(
            try job(#"{"portfolio":"# + PortfolioSearchRouteTests.portfolio + #","grid":["top=1..2:1"]}"#) as? PortfolioSearchJob
        )
        #expect(portfolio.optimizer.configuration.robustnessBlocks == .automatic)
    }
}
