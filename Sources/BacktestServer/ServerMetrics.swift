import BacktestAPI
import CoreMetrics
import NIOConcurrencyHelpers
import Prometheus

/// The server's metrics, recorded through swift-metrics and exported by swift-prometheus
/// as Prometheus text at `GET /metrics`.
///
/// Each server has its own registry (so servers in one process, as in the tests, do not
/// share counts) and makes its metrics with that registry's factory, not the global
/// `MetricsSystem`. Names and labels:
///
/// | metric | kind | labels |
/// |---|---|---|
/// | `backtest_http_requests_total` | counter | `route`, `method`, `status` |
/// | `backtest_backtest_duration_seconds` | histogram (``latencyBuckets``) | |
/// | `backtest_queue_depth`, `backtest_in_flight`, `backtest_workers` | gauge | |
/// | `backtest_rejected_total` | counter | |
/// | `backtest_cache_hits_total`, `backtest_cache_misses_total` | counter | |
/// | `backtest_cache_entries` | gauge | |
/// | `backtest_search_assemblies_total` | counter (finished searches' reports merged from their units) | |
/// | `backtest_jobs` | gauge (`queued`, `running` now; `done`, `failed`, `cancelled` since start) | `status` |
public final class ServerMetrics: Sendable {
    /// Latency histogram bucket bounds, in seconds.
    public static let latencyBuckets: [Double] = [
        0.000_025, 0.000_05, 0.000_1, 0.000_25, 0.000_5, 0.001, 0.002_5, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5,
    ]

    private let registry = PrometheusCollectorRegistry()
    private let factory: PrometheusMetricsFactory
    private let backtestDuration: CoreMetrics.Timer
    private let cacheHits: CoreMetrics.Counter
    private let cacheMisses: CoreMetrics.Counter
    private let rejected: CoreMetrics.Counter
    private let queueDepth: CoreMetrics.Gauge
    private let inFlight: CoreMetrics.Gauge
    private let workers: CoreMetrics.Gauge
    private let cacheEntries: CoreMetrics.Gauge
    private let searchAssemblies: CoreMetrics.Counter
    private let itemsClaimed: CoreMetrics.Counter
    private let leasesReclaimed: CoreMetrics.Counter
    private let itemsQueued: CoreMetrics.Gauge
    private let itemsLeased: CoreMetrics.Gauge
    private let nodesAlive: CoreMetrics.Gauge
    /// `backtest_jobs` by status: queued and running are read at each scrape, the ended
    /// states count up (a gauge, since they share the name).
    private let jobs: [JobState: CoreMetrics.Gauge]
    private let jobsEnded = NIOLockedValueBox([JobState: Int]())

    /// Creates metrics with nothing counted yet.
    public init() {
        var factory = PrometheusMetricsFactory(registry: registry)
        factory.durationHistogramBuckets["backtest_backtest_duration_seconds"] = Self.latencyBuckets.map {
            .nanoseconds(Int64(($0 * 1e9).rounded()))
        }
        self.factory = factory
        backtestDuration = CoreMetrics.Timer(label: "backtest_backtest_duration_seconds", factory: factory)
        cacheHits = CoreMetrics.Counter(label: "backtest_cache_hits_total", factory: factory)
        cacheMisses = CoreMetrics.Counter(label: "backtest_cache_misses_total", factory: factory)
        rejected = CoreMetrics.Counter(label: "backtest_rejected_total", factory: factory)
        queueDepth = CoreMetrics.Gauge(label: "backtest_queue_depth", factory: factory)
        inFlight = CoreMetrics.Gauge(label: "backtest_in_flight", factory: factory)
        workers = CoreMetrics.Gauge(label: "backtest_workers", factory: factory)
        cacheEntries = CoreMetrics.Gauge(label: "backtest_cache_entries", factory: factory)
        searchAssemblies = CoreMetrics.Counter(label: "backtest_search_assemblies_total", factory: factory)
        itemsClaimed = CoreMetrics.Counter(label: "backtest_job_items_claimed_total", factory: factory)
        leasesReclaimed = CoreMetrics.Counter(label: "backtest_job_leases_reclaimed_total", factory: factory)
        itemsQueued = CoreMetrics.Gauge(label: "backtest_job_items_queued", factory: factory)
        itemsLeased = CoreMetrics.Gauge(label: "backtest_job_items_leased", factory: factory)
        nodesAlive = CoreMetrics.Gauge(label: "backtest_nodes_alive", factory: factory)
        var jobs: [JobState: CoreMetrics.Gauge] = [:]
        for state in JobState.allCases {
            let gauge = CoreMetrics.Gauge(label: "backtest_jobs", dimensions: [("status", state.rawValue)], factory: factory)
            gauge.record(0)
            jobs[state] = gauge
        }
        self.jobs = jobs
    }

    /// Counts one HTTP request by route pattern, method and status.
    public func recordRequest(route: String, method: String, status: Int) {
        CoreMetrics.Counter(
            label: "backtest_http_requests_total",
            dimensions: [("route", route), ("method", method), ("status", String(status))],
            factory: factory
        ).increment()
    }

    /// Records the running time of one backtest on a worker.
    public func recordBacktest(seconds: Double) {
        backtestDuration.recordNanoseconds(Int64((seconds * 1e9).rounded()))
    }

    /// Counts a cache lookup.
    public func recordCache(hit: Bool) {
        (hit ? cacheHits : cacheMisses).increment()
    }

    /// Counts a finished search's report merged from its units (``SearchReportCache``).
    func recordSearchAssembly() {
        searchAssemblies.increment()
    }

    /// Counts a submission refused for a full queue.
    public func recordRejection() {
        rejected.increment()
    }

    /// Counts a job reaching a final state (`done`, `failed`, `cancelled`).
    /// Counts job items this node claimed, and those among them whose earlier claim had
    /// lapsed (a node that stopped, or this one before a restart).
    func recordClaims(_ count: Int, reclaimed: Int) {
        itemsClaimed.increment(by: Int64(count))
        if reclaimed > 0 { leasesReclaimed.increment(by: Int64(reclaimed)) }
    }

    public func recordJobFinished(_ state: JobState) {
        let count = jobsEnded.withLockedValue { counts in
            counts[state, default: 0] += 1
            return counts[state, default: 0]
        }
        jobs[state]?.record(count)
    }

    /// The Prometheus text exposition (version 0.0.4), with the gauges read now.
    ///
    /// - Parameters:
    ///   - pool: the worker pool's current load (queue depth, in flight).
    ///   - activeJobs: jobs now `queued` and `running`.
    ///   - cluster: the nodes and the work queue (all nodes').
    func render(pool: WorkerPool.Snapshot, activeJobs: [JobState: Int], cluster: ClusterSnapshot?, cacheEntries entries: Int) -> [UInt8] {
        if let cluster {
            itemsQueued.record(cluster.queued)
            itemsLeased.record(cluster.claimed)
            nodesAlive.record(cluster.nodes.count)
        }
        queueDepth.record(pool.queued)
        inFlight.record(pool.inFlight)
        workers.record(pool.workers)
        cacheEntries.record(entries)
        for state in JobState.allCases where !state.hasEnded { jobs[state]?.record(activeJobs[state] ?? 0) }
        var buffer: [UInt8] = []
        buffer.reserveCapacity(4_096)
        registry.emit(into: &buffer)
        return buffer
    }
}
