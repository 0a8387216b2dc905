import NIOConcurrencyHelpers

/// What this node knows about the jobs it runs or follows: their decoded work (so a job's
/// stored work is decoded once per node, not per item) and which of them it saw end (their
/// claimed items do not start). Shared by ``JobService``, ``QueueWorker`` and ``JobEvents``.
actor JobDirectory {
    /// Work was queued (here or, announced, on another node): wakes ``QueueWorker``.
    nonisolated let workQueued = WakeSignal()
    /// Items were stored or a job ended: wakes ``JobEvents``.
    nonisolated let jobsChanged = WakeSignal()

    private let jobs: any JobStore
    private let decoder: JobWorkDecoder
    private var works: [String: any JobWork] = [:]
    /// The jobs this node saw end: read as each item starts, without a hop to the actor.
    private nonisolated let ended = NIOLockedValueBox<Set<String>>([])

    init(jobs: any JobStore, decoder: JobWorkDecoder) {
        self.jobs = jobs
        self.decoder = decoder
    }

    /// Remembers the work of a job created here.
    func remember(_ work: any JobWork, for id: String) {
        works[id] = work
    }

    /// The work of job `id`, from this node's cache or rebuilt from the storage (`stored`
    /// when the caller has read the job already).
    ///
    /// - Throws: ``JobService/notFound(_:)`` for an unknown job; ``UnreadableWork`` for a
    ///   damaged row; the storage's error when it cannot be read now.
    func work(for id: String, stored: StoredJob? = nil) async throws -> any JobWork {
        if let work = works[id] { return work }
        var job = stored
        if job == nil { job = try await jobs.job(id: id) }
        guard let job else { throw JobService.notFound(id) }
        let work: any JobWork
        do {
            work = try decoder.work(job.kind, from: job.requests)
        } catch {
            throw UnreadableWork(jobID: id, reason: "\(error)")
        }
        works[id] = work
        return work
    }

    /// Records that job `id` ended (cancelled, failed, deleted): its claimed items do not start.
    func markEnded(_ id: String) {
        ended.withLockedValue { _ = $0.insert(id) }
        works[id] = nil
    }

    /// Whether this node saw job `id` end.
    nonisolated func hasEnded(_ id: String) -> Bool {
        ended.withLockedValue { $0.contains(id) }
    }

    /// Which of `ids` this node saw end.
    nonisolated func ended(among ids: Set<String>) -> Set<String> {
        ended.withLockedValue { ids.intersection($0) }
    }

    /// Forgets job `id`'s work (nobody here runs or follows it any more).
    func forget(_ id: String) {
        works[id] = nil
    }
}

/// A job's stored work that this server cannot decode (a damaged row, or one a newer server
/// wrote): the job cannot run here, unlike one whose row cannot be read at the moment.
struct UnreadableWork: Error, Sendable, CustomStringConvertible {
    /// The error's stable code: `unreadable_work`.
    var code: String { "unreadable_work" }
    /// The job.
    var jobID: String
    /// Why its work did not decode.
    var reason: String

    var description: String { "the work of job \(jobID) cannot be read back: \(reason)" }
}
