import BacktestClient
import Testing

@Suite struct BatchPlanTests {
    @Test func fewItemsGoOneByOne() {
        let plan = BatchPlan(count: 4, concurrency: 4)
        #expect(plan.itemsPerCall == 1)
        #expect(plan.calls == [0..<1, 1..<2, 2..<3, 3..<4])
    }

    @Test(arguments: [(6, 4), (100, 4), (600, 4), (600, 1), (5_000, 2), (7, 3), (1, 8)])
    func callsCoverEveryIndexExactlyOnceInOrder(count: Int, concurrency: Int) {
        let plan = BatchPlan(count: count, concurrency: concurrency)
        let indices = plan.calls.flatMap { Array($0) }
        #expect(indices == Array(0..<count))
        #expect(plan.calls.allSatisfy { $0.count <= 1_000 && !$0.isEmpty })
    }

    @Test func manyItemsArePackedIntoFewCalls() {
        let plan = BatchPlan(count: 600, concurrency: 4)
        #expect(plan.itemsPerCall == 75)
        #expect(plan.calls.count == 8)
        #expect(BatchPlan(count: 5_000, concurrency: 1).itemsPerCall == 1_000)
    }

    @Test func smallBatchesAreNotSplitIntoTinyCalls() {
        #expect(BatchPlan(count: 6, concurrency: 4).calls == [0..<6])
        #expect(BatchPlan(count: 20, concurrency: 4).calls == [0..<8, 8..<16, 16..<20])
        #expect(BatchPlan(count: 20, concurrency: 4, minimumItemsPerCall: 1).itemsPerCall == 3)
    }

    @Test func emptyBatchHasNoCalls() {
        #expect(BatchPlan(count: 0, concurrency: 4).calls.isEmpty)
    }
}

@Suite struct BatchProgressTests {
    @Test func rateAndEta() {
        let p = BatchProgress(done: 25, total: 100, failed: 1, elapsed: 5)
        #expect(p.rate == 5)
        #expect(p.eta == 15)
        #expect(p.fraction == 0.25)
        #expect(BatchProgress(done: 0, total: 10, failed: 0, elapsed: 1).eta == nil)
        #expect(BatchProgress(done: 10, total: 10, failed: 0, elapsed: 1).eta == 0)
    }
}
