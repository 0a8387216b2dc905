import BacktestAPI
import BacktestEngine
import BacktestResearch
import Testing

@testable import BacktestOptimize

/// Each worker of a search runs on its own replica of the target
/// (``OptimizationTarget/replica()``): the same runs, no shared storage.
@Suite("a search's worker replicas")
struct ReplicaTests {
    /// A replica of bars holds the same values in arrays of its own (a copy that shared one
    /// would leave both workers updating its reference count).
    @Test func aReplicaOfBarsIsEqualAndSharesNoArray() throws {
        let bars = try Fixtures.goog()
        let replica = bars.replica()
        #expect(replica == bars)
        func address<T>(_ values: [T]) -> UnsafeRawPointer? { values.withUnsafeBufferPointer { UnsafeRawPointer($0.baseAddress) } }
        let pairs: [(UnsafeRawPointer?, UnsafeRawPointer?)] = [
            (address(bars.timestamps), address(replica.timestamps)),
            (address(bars.open), address(replica.open)),
            (address(bars.high), address(replica.high)),
            (address(bars.low), address(replica.low)),
            (address(bars.close), address(replica.close)),
            (address(bars.volume), address(replica.volume)),
            (address(bars.closeLogReturns), address(replica.closeLogReturns)),
            (address(bars.calendar.binEnds), address(replica.calendar.binEnds)),
        ]
        for (original, copy) in pairs { #expect(original != copy) }
    }

    /// A search gives the same rows, best, top and robustness block on one worker (the target
    /// itself) and on three (two of them replicas).
    @Test func aSearchOnReplicasIsTheSearchOnTheTarget() async throws {
        let target = try Fixtures.target(BacktestRequest(strategy: "sma_cross"))
        let space = try SearchSpace(axes: ["fast=5..30:5", "slow=40..100:20"].map { try ParameterAxis(parsing: $0) })
        func search(_ concurrency: Int) async throws -> (OptimizationResult, [[UInt64]]) {
            var configuration = Optimizer<StrategyTarget>.Configuration(
                objective: try Objective(maximize: "sqn"),
                concurrency: concurrency,
                chunkSize: 3
            )
            configuration.robustnessBlocks = .automatic
            var rows: [[UInt64]] = []
            let result = try await Optimizer(space: space, target: target, configuration: configuration).run(rows: { chunk in
                rows += chunk.map { $0.statistics.map(\.bitPattern) }
            })
            return (result, rows)
        }
        let (one, oneRows) = try await search(1)
        let (three, threeRows) = try await search(3)
        #expect(one.best.sequence == three.best.sequence)
        #expect(one.top.map(\.sequence) == three.top.map(\.sequence))
        #expect(oneRows == threeRows && oneRows.count == 24)
        #expect(one.trials == three.trials)
        #expect(one.trials?.trialCount == 24)
    }
}
