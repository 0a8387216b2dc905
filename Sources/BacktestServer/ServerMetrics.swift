import NIOConcurrencyHelpers

/// The server's counters and histograms, rendered as Prometheus text at `GET /metrics`.
///
/// Everything is kept in plain dictionaries behind one lock; the hot path touches it once
/// per request and once per backtest.
public final class ServerMetrics: Sendable {
    /// Latency histogram bucket bounds, in seconds.
    public static let latencyBuckets: [Double] = [
        0.000_025, 0.000_05, 0.000_1, 0.000_25, 0.000_5, 0.001, 0.002_5, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5,
    ]

    struct RequestKey: Hashable {
        var route: String
        var method: String
        var status: Int
    }

    struct Histogram {
        var counts = [UInt64](repeating: 0, count: ServerMetrics.latencyBuckets.count)
        var count: UInt64 = 0
        var sum: Double = 0

        mutating func observe(_ seconds: Double) {
            count += 1
            sum += seconds
            for (i, bound) in ServerMetrics.latencyBuckets.enumerated() where seconds <= bound {
                counts[i] += 1
                break
            }
        }
    }

    struct Values {
        var requests: [RequestKey: UInt64] = [:]
        var backtestLatency = Histogram()
        var cacheHits: UInt64 = 0
        var cacheMisses: UInt64 = 0
        var rejected: UInt64 = 0
        var jobsFinished: [String: UInt64] = [:]
    }

    private let values = NIOLockedValueBox(Values())

    /// Creates empty metrics.
    public init() {}

    /// Counts one HTTP request by route pattern, method and status.
    public func recordRequest(route: String, method: String, status: Int) {
        values.withLockedValue { $0.requests[RequestKey(route: route, method: method, status: status), default: 0] += 1 }
    }

    /// Records the running time of one backtest on a worker.
    public func recordBacktest(seconds: Double) {
        values.withLockedValue { $0.backtestLatency.observe(seconds) }
    }

    /// Counts a cache lookup.
    public func recordCache(hit: Bool) {
        values.withLockedValue { v in
            if hit { v.cacheHits += 1 } else { v.cacheMisses += 1 }
        }
    }

    /// Counts a submission refused for a full queue.
    public func recordRejection() {
        values.withLockedValue { $0.rejected += 1 }
    }

    /// Counts a job reaching a final state (`done`, `failed`, `cancelled`).
    public func recordJobFinished(_ state: String) {
        values.withLockedValue { $0.jobsFinished[state, default: 0] += 1 }
    }

    /// The Prometheus text exposition (version 0.0.4).
    ///
    /// - Parameters:
    ///   - pool: the worker pool's current load (queue depth, in flight).
    ///   - activeJobs: jobs now `queued` and `running`.
    func render(pool: WorkerPool.Snapshot, activeJobs: [String: Int], cacheEntries: Int) -> String {
        let v = values.withLockedValue { $0 }
        var out = ""
        out.reserveCapacity(4096)
        out += "# HELP backtest_http_requests_total HTTP requests by route, method and status.\n"
        out += "# TYPE backtest_http_requests_total counter\n"
        for (key, count) in v.requests.sorted(by: { ($0.key.route, $0.key.method, $0.key.status) < ($1.key.route, $1.key.method, $1.key.status) }) {
            out += "backtest_http_requests_total{route=\"\(escape(key.route))\",method=\"\(key.method)\",status=\"\(key.status)\"} \(count)\n"
        }
        out += "# HELP backtest_backtest_duration_seconds Time one backtest spends on a worker.\n"
        out += "# TYPE backtest_backtest_duration_seconds histogram\n"
        var cumulative: UInt64 = 0
        for (i, bound) in Self.latencyBuckets.enumerated() {
            cumulative += v.backtestLatency.counts[i]
            out += "backtest_backtest_duration_seconds_bucket{le=\"\(bound)\"} \(cumulative)\n"
        }
        out += "backtest_backtest_duration_seconds_bucket{le=\"+Inf\"} \(v.backtestLatency.count)\n"
        out += "backtest_backtest_duration_seconds_sum \(v.backtestLatency.sum)\n"
        out += "backtest_backtest_duration_seconds_count \(v.backtestLatency.count)\n"
        out += "# HELP backtest_queue_depth Backtests waiting for a worker.\n# TYPE backtest_queue_depth gauge\n"
        out += "backtest_queue_depth \(pool.queued)\n"
        out += "# HELP backtest_in_flight Backtests running on workers.\n# TYPE backtest_in_flight gauge\n"
        out += "backtest_in_flight \(pool.inFlight)\n"
        out += "# HELP backtest_workers Worker threads.\n# TYPE backtest_workers gauge\n"
        out += "backtest_workers \(pool.workers)\n"
        out += "# HELP backtest_rejected_total Backtest submissions refused with 429.\n# TYPE backtest_rejected_total counter\n"
        out += "backtest_rejected_total \(v.rejected)\n"
        out += "# HELP backtest_cache_hits_total Results served from the cache.\n# TYPE backtest_cache_hits_total counter\n"
        out += "backtest_cache_hits_total \(v.cacheHits)\n"
        out += "# HELP backtest_cache_misses_total Results computed because the cache had none.\n# TYPE backtest_cache_misses_total counter\n"
        out += "backtest_cache_misses_total \(v.cacheMisses)\n"
        out += "# HELP backtest_cache_entries Results held in the in-memory cache.\n# TYPE backtest_cache_entries gauge\n"
        out += "backtest_cache_entries \(cacheEntries)\n"
        out += "# HELP backtest_jobs Jobs by status: queued and running now; done, failed and cancelled since start.\n"
        out += "# TYPE backtest_jobs gauge\n"
        for state in ["queued", "running"] {
            out += "backtest_jobs{status=\"\(state)\"} \(activeJobs[state] ?? 0)\n"
        }
        for state in ["done", "failed", "cancelled"] {
            out += "backtest_jobs{status=\"\(state)\"} \(v.jobsFinished[state] ?? 0)\n"
        }
        return out
    }

    private func escape(_ label: String) -> String {
        label.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "\"", with: "\\\"")
    }
}
