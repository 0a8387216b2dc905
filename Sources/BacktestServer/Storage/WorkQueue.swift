/// The items of jobs waiting for a worker, shared by every node on the same database: claims
/// with leases, results stored once, changes announced.
///
/// Item results are stored once: a second store of the same job and index keeps the first (an
/// item that ran twice, e.g. on two nodes after a lease expired, has exactly one result).
protocol WorkQueue: Sendable {
    /// Whether several servers may share this queue (then leases matter).
    var isShared: Bool { get }
    /// Queues items of a job for the workers (an item already queued is left alone).
    func enqueue(jobID: String, indices: [Int]) async throws
    /// Claims up to `limit` queued items for `node`, oldest first: items nobody holds and
    /// items whose lease has expired (their node stopped extending it). Each claim holds for
    /// `leaseSeconds`; a job claimed for the first time becomes `running`.
    func claim(node: String, limit: Int, leaseSeconds: Double) async throws -> [QueuedItem]
    /// Stores finished items (each at most once; none of a job that has ended, e.g. been
    /// cancelled while they ran), takes them off the queue and announces the change.
    ///
    /// - Returns: the jobs of these items that have nothing left queued or claimed once they
    ///   are stored (looked up after the write is committed, so that of several nodes storing
    ///   a job's last items at once, at least one sees it drained).
    @discardableResult
    func complete(_ items: [FinishedItem]) async throws -> Set<String>
    /// Extends the leases `node` holds on `items` (the items it is running or storing). An item
    /// `node` claimed and no longer names is left to expire, and an item another node has
    /// taken over since is left alone.
    func extendLeases(node: String, items: [ItemKey], leaseSeconds: Double) async throws
    /// Gives back the claims of `node` (every claim when `nil`: a node alone restarting).
    func releaseClaims(node: String?) async throws
    /// Takes every queued item of a job off the queue (cancellation, a failed search).
    func dequeue(jobID: String) async throws
    /// Whether items of a job are still queued or claimed (it is not done yet).
    func hasQueuedItems(jobID: String) async throws -> Bool
    /// What other nodes change: a job's id when its items or state changed, `""` when work
    /// was queued (PostgreSQL's LISTEN/NOTIFY). A queue only one node uses never yields.
    func changes() -> AsyncStream<String>
}

/// An item of a job: the job's id and the item's index.
struct ItemKey: Sendable, Hashable {
    var jobID: String
    var index: Int
}

/// An item claimed from the queue.
struct QueuedItem: Sendable, Hashable {
    var jobID: String
    var index: Int
    /// It had been claimed before (by a node that stopped, or this one before a restart).
    var reclaimed: Bool

    /// Which item it is.
    var key: ItemKey { ItemKey(jobID: jobID, index: index) }
}

/// A finished item to store.
struct FinishedItem: Sendable {
    var jobID: String
    var index: Int
    var item: [UInt8]
}
