import BacktestAPI
import Foundation

/// What the server persists, whatever the database: the result cache, jobs and their finished
/// items. ``ServerDatabase`` (the embedded SQLite file, the zero-configuration default) and
/// ``PostgresStorage`` (`--database postgres://…`, shared by several servers) implement it,
/// and one test suite (`StorageTests`) runs against both.
///
/// Every method is atomic on its own. Item results are stored once: a second store of the same
/// job and index keeps the first (an item that ran twice, e.g. on two nodes after a lease
/// expired, has exactly one result).
protocol ServerStorage: Sendable {
    // MARK: Results

    /// The stored report for a cache key.
    func result(forKey key: String) async throws -> [UInt8]?
    /// Stores reports (a key stored again is replaced and counts as new for pruning).
    func storeResults(_ rows: [(key: String, report: [UInt8])]) async throws
    /// Number of stored results.
    func resultCount() async throws -> Int
    /// When more than `limit` results are stored, deletes the oldest so that `target` remain;
    /// returns how many went and how many are left.
    func pruneResults(above limit: Int, keeping target: Int) async throws -> (removed: Int, remaining: Int)

    // MARK: Jobs

    /// Inserts a new job.
    func insertJob(_ job: StoredJob) async throws
    /// Sets a job's state; an end state (done, failed, cancelled) also records when it ended.
    func updateJobState(id: String, state: String) async throws
    /// Stores one finished item of a job, unless that item already has a result.
    func insertJobItem(jobID: String, index: Int, item: [UInt8]) async throws
    /// A job by id.
    func job(id: String) async throws -> StoredJob?
    /// A job's kind, state and size, without its work (cheap to ask often).
    func jobHeader(id: String) async throws -> StoredJobHeader?
    /// Deletes jobs that ended before `cutoff` (seconds since 1970), then their items;
    /// returns the jobs' ids.
    func deleteFinishedJobs(endedBefore cutoff: Double) async throws -> [String]
    /// Deletes job `id` whatever its state, with its items and its queued work (a node that
    /// claimed some stores nothing of them: ``complete(_:)`` keeps only a live job's items);
    /// `false` when there was no such job.
    func deleteJob(id: String) async throws -> Bool
    /// Jobs that were queued or running when the server stopped, oldest first.
    func unfinishedJobs() async throws -> [StoredJob]
    /// The finished items of a job, by index.
    func jobItems(jobID: String) async throws -> [(index: Int, item: [UInt8])]
    /// The `limit` most recent jobs, newest first, with their counts of finished items.
    func recentJobs(limit: Int) async throws -> [StoredJobRow]

    // MARK: Work queue (several nodes share it)

    /// Whether several servers may share this storage (then leases matter).
    var isShared: Bool { get }
    /// Queues items of a job for the workers (an item already queued is left alone).
    func enqueue(jobID: String, indices: [Int]) async throws
    /// Claims up to `limit` queued items for `node`, oldest first: items nobody holds and
    /// items whose lease has expired (their node stopped extending it). Each claim holds for
    /// `leaseSeconds`; a job claimed for the first time becomes `running`.
    func claim(node: String, limit: Int, leaseSeconds: Double) async throws -> [QueuedItem]
    /// Stores finished items (each at most once; none of a job that has ended, e.g. been
    /// cancelled while they ran) and takes them off the queue.
    func complete(_ items: [FinishedItem]) async throws
    /// Extends the leases `node` holds.
    func extendLeases(node: String, leaseSeconds: Double) async throws
    /// Gives back the claims of `node` (every claim when `nil`: a node alone restarting).
    func releaseClaims(node: String?) async throws
    /// Takes every queued item of a job off the queue (cancellation, a failed search).
    func dequeue(jobID: String) async throws
    /// Whether items of a job are still queued or claimed (it is not done yet).
    func hasQueuedItems(jobID: String) async throws -> Bool
    /// How many items of job `jobID` have finished (without reading them).
    func finishedCount(jobID: String) async throws -> Int
    /// The indices of job `jobID`'s finished items, ascending (without reading the items).
    func finishedIndices(jobID: String) async throws -> [Int]
    /// A job's finished items stored after `seq` (in finishing order), for live events.
    func jobItems(jobID: String, after seq: Int64) async throws -> [StoredItem]
    /// Ends a job that is queued or running in `state`; `false` when it had already ended
    /// (another node finished it, or it was cancelled).
    func finishJob(id: String, state: String) async throws -> Bool
    /// Jobs queued and running, by state.
    func jobCounts() async throws -> [String: Int]
    /// Records that `node` is alive.
    func heartbeat(node: String, address: String) async throws
    /// The nodes seen since `since` (seconds since 1970), and the queue's state.
    func clusterStatus(since: Double) async throws -> ClusterSnapshot

    // MARK: Imported bars (shared by the nodes; each keeps a local copy)

    /// The imported tickers stored for every node, with their content hashes.
    func sharedBarsCatalog() async throws -> [String: String]
    /// One ticker's shared bars (``BarsCodec``) and their source, if stored.
    func sharedBars(ticker: String) async throws -> (source: String, bars: [UInt8])?
    /// Stores (or replaces) a ticker's bars for every node.
    func putSharedBars(ticker: String, source: String, contentHash: String, bars: [UInt8]) async throws
    /// Removes a ticker's shared bars.
    func removeSharedBars(ticker: String) async throws

    /// What other nodes change: a job's id when its items or state changed, `""` when work
    /// was queued (PostgreSQL's LISTEN/NOTIFY). A storage only one node uses never yields.
    func changes() -> AsyncStream<String>

    /// Closes the connection(s).
    func close() async
}

/// An item claimed from the queue.
struct QueuedItem: Sendable, Hashable {
    var jobID: String
    var index: Int
    /// It had been claimed before (by a node that stopped, or this one before a restart).
    var reclaimed: Bool
}

/// A finished item to store.
struct FinishedItem: Sendable {
    var jobID: String
    var index: Int
    var item: [UInt8]
}

/// A stored item with its place in the finishing order.
struct StoredItem: Sendable {
    var index: Int
    var item: [UInt8]
    var seq: Int64
}

/// The nodes and the queue, for `/health` and `/metrics`.
struct ClusterSnapshot: Sendable, Codable, Equatable {
    struct Node: Sendable, Codable, Equatable {
        var id: String
        var address: String
        var seenSecondsAgo: Double

        enum CodingKeys: String, CodingKey {
            case id, address
            case seenSecondsAgo = "seen_s_ago"
        }
    }

    init(nodes: [Node], queued: Int, claimed: Int) {
        self.nodes = nodes
        self.queued = queued
        self.claimed = claimed
    }

    var nodes: [Node]
    /// The node that answered.
    var node = ""
    /// Items waiting for a worker.
    var queued: Int
    /// Items a node holds a lease on.
    var claimed: Int
}

/// A job as stored.
struct StoredJob: Sendable {
    var id: String
    /// `backtests` or `optimization` (see `JobKind`).
    var kind: String
    /// The job's work as JSON (see `JobWork/encoded()`).
    var requests: [UInt8]
    var state: String
    /// Its number of items.
    var total: Int
}

/// A job's kind, state and size.
struct StoredJobHeader: Sendable {
    var kind: String
    var state: String
    var total: Int
}

/// A job row with its count of finished items, for listings.
struct StoredJobRow: Sendable {
    var id: String
    var kind: String
    var state: String
    var total: Int
    var finished: Int
    var createdAt: Double
}

/// The states after which a job never runs again.
enum StoredJobStates {
    /// `done`, `failed`, `cancelled` (``JobState/hasEnded``).
    static let ended: Set<String> = Set(JobState.allCases.filter(\.hasEnded).map(\.rawValue))
}
