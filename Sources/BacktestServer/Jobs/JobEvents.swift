import BacktestAPI
import Logging
import ServiceLifecycle

/// Live event feeds of jobs (`GET /v1/jobs/{id}/events`): each subscriber gets the items
/// stored so far, then new ones as they are stored (on any node), then the end. Polls the
/// storage, woken at once by this node's results (``JobDirectory/jobsChanged``) and, on
/// PostgreSQL, by other nodes' announcements.
actor JobEvents: Service {
    /// One message of a job's live event stream.
    enum Event: Sendable {
        /// A batch's backtest finished: the progress, and the item as stored (a `BatchItem`'s
        /// JSON, streamed without decoding it again).
        case item(JobProgress, stored: [UInt8])
        /// A unit of a search finished (the progress so far).
        case progress(JobProgress)
        /// The job ended.
        case done(JobStatus)
        /// Nothing new for ``Configuration/keepAlive``: an SSE comment, so that proxies keep
        /// the stream open and a client that left is noticed (the write fails).
        case keepAlive
    }

    /// What a subscriber gets: events so far, then live ones (nil once the job ended).
    struct Feed: Sendable {
        var replay: [Event]
        var live: AsyncStream<Event>?
    }

    /// How often feeds are looked at.
    struct Configuration: Sendable {
        /// The longest wait before looking for progress again. Default 0.5 s.
        var pollInterval: Duration = .milliseconds(500)
        /// A live event stream quiet this long gets a keep-alive comment. Default 15 s.
        var keepAlive: Duration = .seconds(15)
    }

    /// A live event stream on this node.
    private struct Subscriber {
        var jobID: String
        var continuation: AsyncStream<Event>.Continuation
        /// The last stored item sent (finishing order).
        var lastSeq: Int64 = 0
        var sent: Set<Int> = []
        var doneWeight = 0
        /// When it was last sent anything.
        var lastSent: ContinuousClock.Instant
    }

    private let jobs: any JobStore
    private let items: any JobItemStore
    private let directory: JobDirectory
    private let configuration: Configuration
    private let clock: ContinuousClock
    private let logger: Logger
    private var subscribers: [Int: Subscriber] = [:]
    private var nextSubscriber = 0
    /// The subscribers a poll is reading for: a second poll of one (the periodic one while
    /// ``subscribe(to:)``'s first is between its reads) returns at once instead of working
    /// from its own copy of what was sent and repeating the items (an actor is reentrant at
    /// every `await`).
    private var polling: Set<Int> = []

    init(
        jobs: any JobStore,
        items: any JobItemStore,
        directory: JobDirectory,
        configuration: Configuration = .init(),
        clock: ContinuousClock = .continuous,
        logger: Logger
    ) {
        self.jobs = jobs
        self.items = items
        self.directory = directory
        self.configuration = configuration
        self.clock = clock
        self.logger = logger
    }

    /// Sends new items and the end to every feed until graceful shutdown, which ends the feeds
    /// (clients reconnect to another node or read the status).
    func run() async throws {
        await withTaskGroup(of: Void.self) { group in
            group.addTask {
                while !Task.isCancelled {
                    await self.pollAll()
                    await self.directory.jobsChanged.wait(upTo: self.configuration.pollInterval)
                }
            }
            try? await gracefulShutdown()
            group.cancelAll()
        }
        for subscriber in subscribers.values { subscriber.continuation.finish() }
        subscribers = [:]
    }

    /// A new feed of job `id` (which the caller checked exists).
    func subscribe(to id: String) async -> Feed {
        let (stream, continuation) = AsyncStream.makeStream(of: Event.self)
        let key = nextSubscriber
        nextSubscriber += 1
        continuation.onTermination = { _ in Task { await self.unsubscribe(key) } }
        subscribers[key] = Subscriber(jobID: id, continuation: continuation, lastSent: clock.now)
        await poll(key)
        return Feed(replay: [], live: stream)
    }

    private func unsubscribe(_ key: Int) {
        subscribers[key] = nil
    }

    private func pollAll() async {
        for key in Array(subscribers.keys) { await poll(key) }
    }

    /// Sends subscriber `key` the items stored since its last, then `done` once its job ended.
    private func poll(_ key: Int) async {
        guard subscribers[key] != nil, polling.insert(key).inserted else { return }
        defer { polling.remove(key) }
        guard var subscriber = subscribers[key] else { return }
        let id = subscriber.jobID
        do {
            guard let header = try await jobs.jobHeader(id: id) else {
                subscriber.continuation.finish()
                subscribers[key] = nil
                return
            }
            // A search's progress counts combinations (its work knows each unit's weight).
            let work = header.kind == .optimization ? try await directory.work(for: id) : nil
            let total = work?.totalWeight ?? header.total
            let sentBefore = subscriber.sent.count
            for item in try await items.jobItems(jobID: id, after: subscriber.lastSeq) {
                subscriber.lastSeq = item.seq
                guard subscriber.sent.insert(item.index).inserted else { continue }
                if let work {
                    subscriber.doneWeight += work.weight(of: CollectionOfOne(item.index))
                    subscriber.continuation.yield(.progress(JobProgress(done: subscriber.doneWeight, total: total)))
                } else if StoredJobStatus.isObject(item.item) {
                    subscriber.continuation.yield(.item(JobProgress(done: subscriber.sent.count, total: header.total), stored: item.item))
                }
            }
            if header.state.hasEnded {
                let done = work == nil ? subscriber.sent.count : subscriber.doneWeight
                subscriber.continuation.yield(.done(JobStatus(id: id, status: header.state, progress: JobProgress(done: done, total: total))))
                subscriber.continuation.finish()
                subscribers[key] = nil
                if !subscribers.values.contains(where: { $0.jobID == id }) { await directory.forget(id) }
                return
            }
            let now = clock.now
            if subscriber.sent.count > sentBefore {
                subscriber.lastSent = now
            } else if now - subscriber.lastSent >= configuration.keepAlive {
                subscriber.continuation.yield(.keepAlive)
                subscriber.lastSent = now
            }
            subscribers[key] = subscriber
        } catch {
            logger.error("reading a job's progress failed", metadata: ["job": "\(id)", "error": "\(error)"])
        }
    }
}
