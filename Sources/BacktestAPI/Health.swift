import BacktestEngine
import BacktestJSON
import BacktestRules

/// The reply to `GET /health`.
public struct Health: Sendable, Codable, Equatable {
    /// `ok` while serving, `draining` during shutdown.
    public var status: String
    /// The server's version.
    public var version: String
    /// Seconds since start.
    public var uptimeS: Double
    /// Backtest worker threads.
    public var workers: Int
    /// Backtests running now.
    public var inFlight: Int
    /// Backtests waiting for a worker.
    public var queued: Int

    enum CodingKeys: String, CodingKey {
        case status, version, workers, queued
        case uptimeS = "uptime_s"
        case inFlight = "in_flight"
    }

    /// Creates a health reply.
    public init(status: String, version: String, uptimeS: Double, workers: Int, inFlight: Int, queued: Int) {
        self.status = status
        self.version = version
        self.uptimeS = uptimeS
        self.workers = workers
        self.inFlight = inFlight
        self.queued = queued
    }
}
