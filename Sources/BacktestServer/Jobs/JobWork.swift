import BacktestAPI
import BacktestJSON
import Foundation

/// What a job runs: a list of independent items (the backtests of a batch, the units of a
/// parameter search), each stored once it has finished, so a restart reruns only the
/// missing ones. ``JobService`` (create, status, cancel), ``QueueWorker`` (claims, runs,
/// stores) and ``JobEvents`` (live feeds) own the life cycle; a work type knows how to run one
/// item. A new kind of job is a new ``JobKind`` case, a type conforming to this protocol and
/// one line in ``JobWorkDecoder``.
protocol JobWork: Sendable {
    /// What kind of job this is (stored with it, to rebuild the work on a restart).
    var kind: JobKind { get }
    /// The number of items.
    var itemCount: Int { get }
    /// How much item `index` counts in the progress (1 for a backtest, its combinations
    /// for a unit of a search).
    func weight(of index: Int) -> Int
    /// Runs item `index`; never throws: a failure is the item's outcome. Nil when the
    /// work was interrupted by cancellation (shutdown): nothing is stored and the item goes
    /// back to the queue, to run again here after a restart or on another node.
    func run(item index: Int, requestID: String) async -> JobItemOutcome?
    /// The work as stored (the job's `requests` column).
    func encoded() throws -> [UInt8]
}

extension JobWork {
    /// The weight of all items: the progress's total.
    var totalWeight: Int {
        (0..<itemCount).reduce(0) { $0 + weight(of: $1) }
    }

    /// The weight of the items `indices` (indices out of range count 0): the progress done.
    func weight(of indices: some Sequence<Int>) -> Int {
        indices.reduce(0) { $0 + ((0..<itemCount).contains($1) ? weight(of: $1) : 0) }
    }
}

/// The kinds of job, as stored in the `jobs` table.
enum JobKind: String, Sendable, CaseIterable {
    /// A batch of backtests (`POST /v1/jobs`).
    case backtests
    /// A parameter search (`POST /v1/optimizations`).
    case optimization
    /// Portfolio backtests (`POST /v1/jobs` with `portfolios`).
    case portfolios

    /// What a job of this kind is called in messages.
    var noun: String {
        switch self {
        case .backtests: "batch job"
        case .optimization: "optimization"
        case .portfolios: "portfolio job"
        }
    }

    /// ``noun`` with its article.
    var aNoun: String {
        switch self {
        case .backtests: "a batch job"
        case .optimization: "an optimization"
        case .portfolios: "a portfolio job"
        }
    }

    /// The routes of this kind's jobs.
    var route: String {
        switch self {
        case .backtests, .portfolios: "/v1/jobs"
        case .optimization: "/v1/optimizations"
        }
    }
}

/// The outcome of one item.
struct JobItemOutcome: Sendable {
    /// The item's index.
    var index: Int
    /// What is stored (JSON): written once, then stored, replied and streamed as it is.
    var bytes: [UInt8]
    /// The item failed in a way that fails the whole job (a unit of a search that could not
    /// run); a batch's failed backtest is a result, not a job failure.
    var failsJob = false
}

/// A batch of backtests as a job: one item per request; a request that did not decode
/// fails as its item at once.
struct BatchJob: JobWork {
    var requests: [BacktestRequest?]
    let pipeline: BacktestPipeline

    var kind: JobKind { .backtests }
    var itemCount: Int { requests.count }
    func weight(of index: Int) -> Int { 1 }

    func run(item index: Int, requestID: String) async -> JobItemOutcome? {
        guard let request = requests[index] else {
            // Stored at creation; only a damaged row gets here.
            let item = BatchItem(index: index, ticker: nil, error: Problem(code: .invalidField, detail: "the request could not be read back"))
            return JobItemOutcome(index: index, bytes: item.jsonBytes())
        }
        let item = await pipeline.item(index: index, .success(request), requestID: requestID)
        // A backtest that failed because its task was cancelled is not the backtest's result.
        if item.error != nil, Task.isCancelled { return nil }
        return JobItemOutcome(index: index, bytes: item.jsonBytes())
    }

    func encoded() throws -> [UInt8] {
        try StoredRequests.encode(requests)
    }

    /// The batch stored by ``encoded()``.
    static func decode(_ bytes: [UInt8], pipeline: BacktestPipeline) throws -> BatchJob {
        BatchJob(requests: try StoredRequests.decode(bytes), pipeline: pipeline)
    }

    /// A stored item (a `BatchItem`'s JSON, as this server wrote it), read back for a report;
    /// nil for a damaged row.
    static func item(_ bytes: [UInt8]) -> BatchItem? {
        try? JSONCoding.decoder.decode(BatchItem.self, from: Data(bytes))
    }
}
