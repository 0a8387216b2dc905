import BacktestAPI

/// Jobs as rows: their kind, work, state and size. What ``JobService`` asks about a job and
/// what ``QueueWorker`` ends; the items are in ``JobItemStore`` and the pending work in
/// ``WorkQueue``.
///
/// States and kinds cross this seam typed: a value the database holds that this server does
/// not know is a ``StorageError`` naming it, never a default.
protocol JobStore: Sendable {
    /// Inserts a new job with the items decided when it was created (entries that failed to
    /// decode) and its queued work, as one unit: on PostgreSQL one transaction, so a job is
    /// never left queued without its work when the database goes away mid-way (SQLite runs
    /// the statements in order on its one connection; a crash between them is repaired at
    /// start-up by ``QueueWorker``'s `prepareQueue`). `queued` holds distinct indices, in the
    /// order they are to run.
    func insertJob(_ job: StoredJob, finished: [FinishedItem], queued: [Int]) async throws
    /// A job by id, with its work.
    func job(id: String) async throws -> StoredJob?
    /// A job's kind, state and size, without its work (cheap to ask often).
    func jobHeader(id: String) async throws -> StoredJobHeader?
    /// Ends a queued or running job in `state` (recording when); `false` when it had already
    /// ended (another node finished it, or it was cancelled).
    func finishJob(id: String, state: JobState) async throws -> Bool
    /// Deletes job `id` whatever its state, with its items and its queued work (a node that
    /// claimed some stores nothing of them: ``WorkQueue/complete(_:)`` keeps only a live job's
    /// items); `false` when there was no such job.
    func deleteJob(id: String) async throws -> Bool
    /// Deletes jobs that ended before `cutoff` (seconds since 1970), then their items;
    /// returns the jobs' ids.
    func deleteFinishedJobs(endedBefore cutoff: Double) async throws -> [String]
    /// Jobs that were queued or running when the server stopped, oldest first.
    func unfinishedJobs() async throws -> [StoredJob]
    /// The `limit` most recent jobs, newest first, with their counts of finished items.
    func recentJobs(limit: Int) async throws -> [StoredJobRow]
    /// Jobs queued and running, by state.
    func jobCounts() async throws -> [JobState: Int]
}

/// A job as stored.
struct StoredJob: Sendable {
    var id: String
    var kind: JobKind
    /// The job's work as JSON (see ``JobWork/encoded()``).
    var requests: [UInt8]
    var state: JobState
    /// Its number of items.
    var total: Int
}

/// A job's kind, state and size.
struct StoredJobHeader: Sendable, Equatable {
    var kind: JobKind
    var state: JobState
    var total: Int
}

/// A job row with its count of finished items, for listings.
struct StoredJobRow: Sendable {
    var id: String
    var kind: JobKind
    var state: JobState
    var total: Int
    var finished: Int
    var createdAt: Double
}

extension JobStore {
    /// Inserts a new job with nothing finished and nothing queued yet.
    func insertJob(_ job: StoredJob) async throws {
        try await insertJob(job, finished: [], queued: [])
    }
}
