import BacktestAPI
import BacktestJSON
import Testing

@testable import BacktestServer

/// `StoredJobStatus` splices a job's stored item bytes into its status reply.
@Suite("Stored job status")
struct StoredJobStatusTests {
    @Test("a status with its items as stored is the same bytes as writing the items afresh")
    func splicedItemsMatchAFreshWrite() {
        let items = [
            BatchItem(index: 0, ticker: "AAPL", error: Problem(code: .invalidField, detail: "cash: must be positive", field: "cash")),
            BatchItem(index: 1, ticker: "TSLA", error: Problem(code: .unknownTicker, detail: "no data for 'TSLA'")),
        ]
        let status = JobStatus(id: "j1", status: .done, progress: JobProgress(done: 2, total: 2))
        var full = status
        full.results = items
        let stored = StoredJobStatus(status: status, results: items.map { $0.jsonBytes() })
        #expect(stored.jsonBytes() == full.jsonBytes())
    }

    @Test("only a JSON object counts as a stored item")
    func isObject() {
        #expect(!StoredJobStatus.isObject(Array("[1]".utf8)))
        #expect(!StoredJobStatus.isObject([]))
        #expect(StoredJobStatus.isObject(Array("{}".utf8)))
    }
}
