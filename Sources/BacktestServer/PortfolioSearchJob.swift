import BacktestAPI
import BacktestEngine
import BacktestOptimize
import BacktestReport
import Foundation
import MarketData

/// A search over a portfolio's parameters (`POST /v1/optimizations` with `portfolio`) as a
/// job: the plan's combinations cut into units, as a strategy's search is, so it spreads over
/// the workers and the nodes of a cluster and a restart reruns only the missing units.
///
/// The grid's keys are ``PortfolioTarget/allParameters`` (the ones this portfolio has); the
/// objective defaults to `sharpe_ratio` (a portfolio has no closed trades); `trades` counts
/// the fills. With `walk_forward` each unit is a fold (its training search, then its winner
/// on its test window), as for one ticker.
struct PortfolioSearchJob: SearchJob {
    let stored: SearchJobs.Stored
    let optimizer: Optimizer<PortfolioTarget>
    let plan: Optimizer<PortfolioTarget>.Plan
    let ranges: [Range<Int>]
    /// The walk-forward specification and its folds (calendar bars), when it is one.
    let walkForward: (spec: WalkForwardSpec, folds: [WalkForwardSpec.Windows])?
    let pool: WorkerPool

    var kind: JobKind { .optimization }
    var itemCount: Int { walkForward?.folds.count ?? ranges.count }
    func weight(of index: Int) -> Int { walkForward == nil ? ranges[index].count : 1 }

    /// Checks the request and prepares its search: every ticker's bars over the portfolio's
    /// dates, the portfolio itself, the grid against its parameters, the walk-forward folds
    /// against the calendar (and the grid against the first training window).
    ///
    /// - Throws: ``Problem``: 422 naming the field (under `portfolio.` for the portfolio's
    ///   own), 404 for an unknown ticker, 413 for a grid over `limit`.
    static func prepare(_ request: OptimizationRequest, pipeline: BacktestPipeline, limit: Int, chunkSize: Int? = nil) throws -> PortfolioSearchJob {
        guard let portfolio = request.portfolio else {
            throw Problem(code: .missingField, detail: "missing required field 'portfolio'", field: "portfolio")
        }
        let target = try SearchJobs.withField("portfolio") { () throws -> PortfolioTarget in
            try portfolio.validate()
            let range = try portfolio.dateRange()
            let bars = try portfolio.tickers.map { try pipeline.store.bars(for: $0, from: range.start, through: range.end).bars }
            return PortfolioTarget(portfolio: try PortfolioBacktest(tickers: portfolio.tickers, bars: bars, settings: portfolio.settings))
        }
        var search = request
        if search.maximize == nil, search.minimize == nil { search.maximize = "sharpe_ratio" }
        let optimizer: Optimizer<PortfolioTarget>
        let plan: Optimizer<PortfolioTarget>.Plan
        var walkForward: (spec: WalkForwardSpec, folds: [WalkForwardSpec.Windows])?
        do {
            let searched = try search.optimizer(target: target, limit: limit, concurrency: 1)
            // The robustness block is a plain search's (a fold's search keeps nothing).
            optimizer = request.walkForward == nil ? searched.withRobustness(blocks: request.robustnessBlocks) : searched
            plan = try optimizer.plan()
            if let spec = try request.walkForwardSpec() { walkForward = (spec, try optimizer.checkedFolds(spec)) }
        } catch {
            throw Problem(error)
        }
        let size = chunkSize ?? SearchJobs.chunkSize(for: plan.order.count)
        return PortfolioSearchJob(
            stored: SearchJobs.Stored(request: request, chunkSize: size),
            optimizer: optimizer,
            plan: plan,
            ranges: try SearchJobs.ranges(count: plan.order.count, size: size),
            walkForward: walkForward,
            pool: pipeline.pool
        )
    }

    func encoded() throws -> [UInt8] {
        Array(try JSONCoding.encoder.encode(stored))
    }

    func run(item index: Int, requestID: String) async -> JobItemOutcome? {
        // A fold's search can be long: it stops between chunks once the task is cancelled.
        await SearchUnits.execute(index: index, requestID: requestID, pool: pool) { [self] stop in
            if let walkForward { return try SearchUnits.fold(optimizer, folds: walkForward.folds, index: index, stop: stop) }
            return try SearchUnits.run(optimizer, plan: plan, range: ranges[index])
        }
    }

    func assemble(_ units: [Int: StoredUnit], pictures: Bool) throws -> SearchAssembly {
        guard units.count == itemCount else {
            throw Problem(code: .internal, detail: "the search has \(units.count) of its \(itemCount) units stored")
        }
        if let walkForward { return try SearchUnits.walkForward(optimizer, units: units, spec: walkForward.spec, folds: walkForward.folds) }
        let seconds = units.values.reduce(0) { $0 + $1.seconds }
        let result = try SearchUnits.result(optimizer, plan: plan, units: units, indices: ranges.indices, seconds: seconds, name: "the portfolio")
        var report = OptimizationReport(result: result, optimizer: optimizer)
        report.robustness = try SearchUnits.robustness(optimizer, plan: plan, result: result)
        return SearchAssembly(report: report, grid: pictures ? SearchUnits.grid(optimizer, plan: plan, units: units) : nil)
    }

    /// The heatmap as CSV, every combination in run order.
    ///
    /// - Throws: ``Problem`` `not_found` for a walk-forward analysis (it has no heatmap).
    func heatmap(_ units: [Int: StoredUnit]) throws -> String {
        guard walkForward == nil else {
            throw Problem(code: .notFound, detail: "a walk-forward analysis has no heatmap (GET the optimization for its folds)")
        }
        let csv = HeatmapCSV(parameters: optimizer.space.axes.map(\.name), statistics: optimizer.configuration.statistics.map(\.name))
        var out = csv.header
        for index in ranges.indices { out += units[index]?.rows ?? "" }
        return out
    }

    /// `portfolio (momentum) on AAPL, MSFT, NVDA: grid search, maximize sharpe_ratio`.
    var title: String {
        let portfolio = optimizer.target.portfolio
        let method = walkForward == nil ? "\(stored.request.method ?? "grid") search" : "walk-forward"
        let tickers = portfolio.tickers.joined(separator: ", ")
        return "portfolio (\(portfolio.settings.allocation.name)) on \(tickers): \(method), \(optimizer.configuration.objective)"
    }

    /// The tickers' dates, combinations and settings.
    var subtitle: String {
        let portfolio = optimizer.target.portfolio
        let first = portfolio.bars.compactMap(\.timestamps.first).min()
        let last = portfolio.bars.compactMap(\.timestamps.last).max()
        var text = first.flatMap { f in last.map { "\(Timestamp.formatDate(f)) – \(Timestamp.formatDate($0))" } } ?? ""
        text += " · \(plan.order.count) of \(optimizer.space.count) combinations"
        text += " · cash \(String(format: "%g", portfolio.settings.cash)) · commission \(String(format: "%g", portfolio.settings.commission))"
        return text
    }
}
