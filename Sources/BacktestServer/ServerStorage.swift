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
    /// Deletes jobs that ended before `cutoff` (seconds since 1970), then their items;
    /// returns the jobs' ids.
    func deleteFinishedJobs(endedBefore cutoff: Double) async throws -> [String]
    /// Jobs that were queued or running when the server stopped, oldest first.
    func unfinishedJobs() async throws -> [StoredJob]
    /// The finished items of a job, by index.
    func jobItems(jobID: String) async throws -> [(index: Int, item: [UInt8])]
    /// The `limit` most recent jobs, newest first, with their counts of finished items.
    func recentJobs(limit: Int) async throws -> [StoredJobRow]

    /// Closes the connection(s).
    func close() async
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
    /// `done`, `failed`, `cancelled`.
    static let ended: Set<String> = ["done", "failed", "cancelled"]
}
