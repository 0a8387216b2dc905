import BacktestAPI
import NIOConcurrencyHelpers

/// The reports of finished searches by job id, so that polling a finished search does not
/// merge its units and compute its robustness block again on every `GET` (a finished search
/// never changes; a deleted one is 404 before the cache is asked).
final class SearchReportCache: Sendable {
    /// The most reports kept in memory. Default 64.
    static let capacity = 64

    private let reports = NIOLockedValueBox(LRUCache<String, OptimizationReport>(capacity: SearchReportCache.capacity))

    /// The report of search `id`, computed by `make` the first time.
    func report(_ id: String, make: () async throws -> OptimizationReport) async throws -> OptimizationReport {
        if let hit = reports.withLockedValue({ $0.get(id) }) { return hit }
        let report = try await make()
        reports.withLockedValue { $0.set(id, report) }
        return report
    }
}
