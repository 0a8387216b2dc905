import BacktestAPI
import BacktestOptimize
import Foundation

/// A parameter search (`POST /v1/optimizations`) as a job: ``OptimizationJob`` (a strategy on
/// one or several tickers, or walk-forward) or ``PortfolioSearchJob`` (a portfolio's
/// parameters). Both store their units as ``StoredUnit``s and assemble the same report.
protocol SearchJob: JobWork {
    /// The search's report from its finished units and, with `pictures`, what its page draws.
    ///
    /// - Throws: ``Problem`` when a unit is missing or unreadable (500).
    func assemble(_ units: [Int: StoredUnit], pictures: Bool) throws -> SearchAssembly
    /// The heatmap as CSV, every combination in run order.
    func heatmap(_ units: [Int: StoredUnit]) throws -> String
    /// The page's title, e.g. `sma_cross on GOOG: grid search, maximize sqn`.
    var title: String { get }
    /// The page's subtitle: dates, combinations and settings.
    var subtitle: String { get }
}

extension SearchJob {
    /// The search's report (all units finished: call it once the job is done).
    func report(_ units: [Int: StoredUnit]) throws -> OptimizationReport {
        try assemble(units, pictures: false).report
    }
}

/// A search's report and what its page draws: the objective over the parameters (one ticker
/// or a portfolio) or the stitched out-of-sample equity (walk-forward).
struct SearchAssembly: Sendable {
    var report: OptimizationReport
    var grid: ObjectiveGrid?
    var stitched: (time: [Int64], equity: [Double])?
}

/// Prepares a search request as the job that runs it, and reads a stored one back.
enum SearchJobs {
    /// What is stored of a search: the request and the unit size, so a restart cuts the same
    /// units.
    struct Stored: Codable, Sendable {
        var request: OptimizationRequest
        var chunkSize: Int

        enum CodingKeys: String, CodingKey {
            case request
            case chunkSize = "chunk_size"
        }
    }

    /// The job for `request`: a portfolio search when it has `portfolio`, else a strategy's.
    ///
    /// - Throws: ``Problem``: 422 for an invalid request, 413 for a grid over `limit`, 404 for
    ///   an unknown ticker.
    static func prepare(_ request: OptimizationRequest, pipeline: BacktestPipeline, limit: Int, chunkSize: Int? = nil) throws -> any SearchJob {
        if request.portfolio != nil {
            return try PortfolioSearchJob.prepare(request, pipeline: pipeline, limit: limit, chunkSize: chunkSize)
        }
        return try OptimizationJob.prepare(request, pipeline: pipeline, limit: limit, chunkSize: chunkSize)
    }

    /// The search stored by a job's `encoded()`, prepared again (the bars read again).
    static func decode(_ bytes: [UInt8], pipeline: BacktestPipeline, limit: Int) throws -> any SearchJob {
        let stored = try JSONCoding.decoder.decode(Stored.self, from: Data(bytes))
        return try prepare(stored.request, pipeline: pipeline, limit: max(limit, SearchSpace.defaultLimit), chunkSize: stored.chunkSize)
    }

    /// The units read back from `job_items`, by index.
    static func units(_ items: [(index: Int, bytes: [UInt8])]) -> [Int: StoredUnit] {
        var units: [Int: StoredUnit] = [:]
        for item in items {
            if let unit = try? JSONCoding.decoder.decode(StoredUnit.self, from: Data(item.bytes)) { units[item.index] = unit }
        }
        return units
    }

    /// The unit size for a plan of `count` combinations: about 64 units, from 16 to
    /// ``OptimizationJob/maxChunkSize`` combinations each.
    static func chunkSize(for count: Int) -> Int {
        min(OptimizationJob.maxChunkSize, max(16, (count + 63) / 64))
    }

    /// A plan of `count` combinations cut into units of `size`.
    static func ranges(count: Int, size: Int) throws -> [Range<Int>] {
        guard size >= 1 else { throw Problem(code: .invalidField, detail: "the stored unit size is not positive") }
        return stride(from: 0, to: count, by: size).map { $0..<min(count, $0 + size) }
    }

    /// A problem from a nested part of the request names its field under `prefix`.
    static func withField<T>(_ prefix: String, _ body: () throws -> T) throws -> T {
        do {
            return try body()
        } catch let problem as Problem {
            var named = problem
            if let field = problem.field { named.field = "\(prefix).\(field)" }
            throw named
        } catch {
            var problem = Problem(error)
            if let field = problem.field { problem.field = "\(prefix).\(field)" }
            throw problem
        }
    }
}
