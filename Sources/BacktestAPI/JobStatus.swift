import BacktestEngine
import BacktestJSON
import BacktestRules

/// The life cycle of an asynchronous job.
public enum JobState: String, Sendable, Codable, CaseIterable {
    case queued, running, done, failed, cancelled

    /// Whether a job in this state has ended (done, failed or cancelled): it never runs again.
    public var hasEnded: Bool {
        self != .queued && self != .running
    }
}

/// The reply to `POST /v1/jobs` (202 Accepted).
public struct JobCreated: Sendable, Codable {
    public var id: String
    public var statusUrl: String
    public var eventsUrl: String
    enum CodingKeys: String, CodingKey {
        case id
        case statusUrl = "status_url"
        case eventsUrl = "events_url"
    }
    public init(id: String, statusUrl: String, eventsUrl: String) {
        self.id = id
        self.statusUrl = statusUrl
        self.eventsUrl = eventsUrl
    }
}

/// Progress of a job.
public struct JobProgress: Sendable, Codable, Equatable {
    public var done: Int
    public var total: Int
    public init(done: Int, total: Int) {
        self.done = done
        self.total = total
    }
}

/// The reply to `GET /v1/jobs/{id}`; `results` once the job is done (or partially, when
/// cancelled), in request order.
public struct JobStatus: Sendable, Codable {
    public var id: String
    public var status: JobState
    public var progress: JobProgress
    public var results: [BatchItem]?
    public init(id: String, status: JobState, progress: JobProgress, results: [BatchItem]? = nil) {
        self.id = id
        self.status = status
        self.progress = progress
        self.results = results
    }
}

/// One job in `GET /v1/jobs`: a batch or a parameter search, with where to follow it.
public struct JobSummary: Sendable, Codable {
    /// The job's id.
    public var id: String
    /// `backtests` (a batch), `portfolios` (a portfolio job) or `optimization` (a search).
    public var kind: String
    /// Its state.
    public var status: JobState
    /// Its items (a search's units) finished and in all.
    public var progress: JobProgress
    /// When it was created (ISO 8601, UTC).
    public var createdAt: String
    /// Its status, events and report URLs.
    public var statusUrl: String
    public var eventsUrl: String
    public var reportUrl: String

    enum CodingKeys: String, CodingKey {
        case id, kind, status, progress
        case createdAt = "created_at"
        case statusUrl = "status_url"
        case eventsUrl = "events_url"
        case reportUrl = "report_url"
    }

    /// Creates a summary; the URLs follow from the kind.
    public init(id: String, kind: String, status: JobState, progress: JobProgress, createdAt: String) {
        self.id = id
        self.kind = kind
        self.status = status
        self.progress = progress
        self.createdAt = createdAt
        let base = kind == "optimization" ? "/v1/optimizations/\(id)" : "/v1/jobs/\(id)"
        statusUrl = base
        eventsUrl = base + "/events"
        reportUrl = base + "/report"
    }
}

/// The reply to `GET /v1/jobs`: the most recent jobs, newest first.
public struct JobList: Sendable, Codable {
    public var jobs: [JobSummary]
    public init(jobs: [JobSummary]) { self.jobs = jobs }
}
