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

    @Test("a walk-forward fold stops between chunks once its task is cancelled, and yields nothing to store")
    func foldInterrupted() async throws {
        let (pipeline, pool) = Self.pipeline()
        defer { pool.shutdown() }
        // 60 x 40 = 2,400 combinations: two chunks, so the fold checks between them.
        let body =
            #"{"backtest":{"ticker":"GOOG","strategy":"sma_cross"},"grid":["fast=2..61:1","slow=70..109:1"],"walk_forward":"train=1500,test=500"}"#
        let job = try OptimizationJob.prepare(
            try JSONDecoder().decode(OptimizationRequest.self, from: Data(body.utf8)),
            pipeline: pipeline,
            limit: 1_000_000
        )
        let task = Task { await job.run(item: 0, requestID: "test") }
        // Cancel once the fold runs on the worker (cancelling it while queued is the easy case).
        for _ in 0..<2_000 where pool.snapshot.inFlight == 0 { try await Task.sleep(for: .milliseconds(1)) }
        #expect(pool.snapshot.inFlight == 1)
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
        let task = Task { await job.run(item: 0, requestID: "test") }
        task.cancel()
        #expect(await task.value == nil)
        let finished = await job.run(item: 0, requestID: "test")
        #expect(finished?.item?.result != nil)
    }
}
