import BacktestAPI
import Foundation
import MarketData
import Testing

@testable import BacktestServer

/// An item whose task is cancelled (a shutdown) has no outcome: nothing is stored, the item
/// goes back to the queue; a failure caused by the cancellation is never stored as the result.
@Suite struct JobCancellationTests {
    /// A pipeline on the bundled sample data with one worker.
    static func pipeline() -> (BacktestPipeline, WorkerPool) {
        let pool = WorkerPool(configuration: .init(workers: 1, queueLimit: 8))
        return (BacktestPipeline(store: CSVBarStore(), pool: pool, cache: nil, metrics: ServerMetrics()), pool)
    }

    /// A walk-forward search on GOOG: 60 x 40 = 2,400 combinations per fold, two chunks.
    static func walkForward(_ pipeline: BacktestPipeline) throws -> OptimizationJob {
        let body =
            #"{"backtest":{"ticker":"GOOG","strategy":"sma_cross"},"grid":["fast=2..61:1","slow=70..109:1"],"walk_forward":"train=1500,test=500"}"#
        return try OptimizationJob.prepare(
            try JSONDecoder().decode(OptimizationRequest.self, from: Data(body.utf8)),
            pipeline: pipeline,
            limit: 1_000_000
        )
    }

    @Test("a walk-forward fold checks its stop flag before each chunk of combinations")
    func foldStops() throws {
        let (pipeline, pool) = Self.pipeline()
        defer { pool.shutdown() }
        let job = try Self.walkForward(pipeline)
        let raised = CancellationFlag()
        raised.raise()
        #expect(throws: CancellationError.self) { try job.foldUnit(0, stop: raised) }
        let unit = try job.foldUnit(0, stop: CancellationFlag())
        #expect(unit.best != nil)
    }

    @Test("a search unit whose task is cancelled yields nothing to store; run again, it finishes")
    func unitCancelled() async throws {
        let (pipeline, pool) = Self.pipeline()
        defer { pool.shutdown() }
        let job = try Self.walkForward(pipeline)
        let task = Task { await job.run(item: 0, requestID: "test") }
        task.cancel()
        #expect(await task.value == nil)
        let finished = await job.run(item: 0, requestID: "test")
        #expect(finished != nil)
        #expect(finished?.failsJob == false)
    }

    @Test("a batch's backtest cancelled before it ran is not stored as a failed backtest")
    func batchItemCancelled() async throws {
        let (pipeline, pool) = Self.pipeline()
        defer { pool.shutdown() }
        let job = BatchJob(requests: [BacktestRequest(ticker: "GOOG", strategy: "sma_cross")], pipeline: pipeline)
        // The item starts only once its task is cancelled (a backtest is too quick to race).
        let task = Task {
            while !Task.isCancelled { await Task.yield() }
            return await job.run(item: 0, requestID: "test")
        }
        task.cancel()
        #expect(await task.value == nil)
        let finished = await job.run(item: 0, requestID: "test")
        #expect(finished.flatMap { BatchJob.item($0.bytes) }?.result != nil)
    }
}
