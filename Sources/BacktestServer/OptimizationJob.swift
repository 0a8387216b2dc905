import BacktestAPI
import BacktestEngine
import BacktestOptimize
import BacktestResearch
import Foundation
import MarketData

/// A parameter search (`POST /v1/optimizations`) as a job.
///
/// Its items are units of the search, so it spreads over the workers and a restart reruns
/// only the units that had not finished:
/// - one or several tickers: for each ticker (in order), the plan's combinations cut into
///   ranges of ``Stored/chunkSize``; each unit stores its heatmap rows (as CSV), its best
///   combinations and its first one;
/// - walk-forward: one unit per fold (the search on its training window, then the winner on
///   its test window).
///
/// ``report(_:)`` (in `OptimizationJob+Report.swift`) merges the stored units into the
/// search's ``OptimizationReport``.
struct OptimizationJob: SearchJob {
    /// What is stored: the request and the unit size, so a restart cuts the same units.
    typealias Stored = SearchJobs.Stored

    /// One ticker's search.
    struct Search: Sendable {
        var ticker: String
        var optimizer: Optimizer<StrategyTarget>
    }

    let stored: Stored
    let searches: [Search]
    let plan: Optimizer<StrategyTarget>.Plan
    /// The units of one ticker's plan.
    let ranges: [Range<Int>]
    /// The walk-forward specification (one ticker), when it is one.
    let walkForward: WalkForwardSpec?
    /// Its folds.
    let folds: [WalkForwardSpec.Windows]?
    let pool: WorkerPool

    /// The largest unit of work, in combinations.
    static let maxChunkSize = 2_000

    var kind: JobKind { .optimization }
    var itemCount: Int { folds?.count ?? searches.count * ranges.count }

    func weight(of index: Int) -> Int {
        folds == nil ? ranges[index % ranges.count].count : 1
    }

    /// Checks a request and prepares its search: the bars of every ticker, the grid against
    /// the strategy, every combination against the strategy's bounds, the walk-forward
    /// folds against the data.
    ///
    /// - Parameters:
    ///   - chunkSize: the unit size of a stored job; `nil` picks one (about 64 units, from
    ///     16 to ``maxChunkSize`` combinations each).
    /// - Throws: ``Problem``: 422 for an invalid request, 413 for a grid over `limit`, 404
    ///   for an unknown ticker.
    static func prepare(
        _ request: OptimizationRequest,
        pipeline: BacktestPipeline,
        limit: Int,
        chunkSize: Int? = nil
    ) throws -> OptimizationJob {
        let tickers = request.searchedTickers
        guard !tickers.isEmpty else {
            throw Problem(code: .missingField, detail: "missing required field 'backtest.ticker' (or 'tickers')", field: "backtest.ticker")
        }
        guard tickers.count <= OptimizationRequest.maxTickers else {
            throw Problem(
                code: .invalidSearch,
                detail: "tickers: \(tickers.count) given, at most \(OptimizationRequest.maxTickers)",
                field: "tickers"
            )
        }
        guard Set(tickers).count == tickers.count else {
            throw Problem(code: .invalidSearch, detail: "tickers: a ticker is given twice", field: "tickers")
        }
        if request.walkForward != nil, tickers.count > 1 {
            throw Problem(code: .invalidSearch, detail: "walk_forward takes one ticker", field: "walk_forward")
        }
        var searches: [Search] = []
        for ticker in tickers {
            var backtest = request.backtest
            backtest.ticker = ticker
            let prepared = try SearchJobs.withField("backtest") { try pipeline.validate(backtest) }
            let target: StrategyTarget
            do {
                target = try StrategyTarget(bars: prepared.bars.bars, request: backtest)
            } catch {
                throw Problem(error)
            }
            let optimizer = try request.optimizer(target: target, limit: limit, concurrency: 1)
            // The robustness block: one ticker's search, not walk-forward (a fold's search keeps
            // nothing) nor several tickers (the report has one block).
            let robust = tickers.count == 1 && request.walkForward == nil
            let searched = robust ? optimizer.withRobustness(blocks: request.robustnessBlocks) : optimizer
            searches.append(Search(ticker: prepared.ticker, optimizer: searched))
        }
        let plan = try searches[0].optimizer.plan()
        for search in searches.dropFirst() { _ = try search.optimizer.plan() }
        let walkForward = try request.walkForwardSpec()
        let folds = try walkForward?.folds(barCount: searches[0].optimizer.target.barCount)
        let size = chunkSize ?? SearchJobs.chunkSize(for: plan.order.count)
        let ranges = try SearchJobs.ranges(count: plan.order.count, size: size)
        return OptimizationJob(
            stored: Stored(request: request, chunkSize: size),
            searches: searches,
            plan: plan,
            ranges: ranges,
            walkForward: walkForward,
            folds: folds,
            pool: pipeline.pool
        )
    }

    func encoded() throws -> [UInt8] {
        Array(try JSONCoding.encoder.encode(stored))
    }

    // MARK: - Running

    func run(item index: Int, requestID: String) async -> JobItemOutcome? {
        // A fold's search can be long (up to the combination limit on one worker): it stops
        // between chunks once the task is cancelled (shutdown), and the fold runs again later.
        await SearchUnits.execute(index: index, requestID: requestID, pool: pool) { [self] stop in
            guard folds == nil else { return try foldUnit(index, stop: stop) }
            let search = searches[index / ranges.count]
            return try SearchUnits.run(search.optimizer, plan: plan, range: ranges[index % ranges.count])
        }
    }

    /// Fold `index` of a walk-forward analysis (``SearchUnits/fold(_:folds:index:stop:)``).
    func foldUnit(_ index: Int, stop: CancellationFlag) throws -> StoredUnit {
        guard let folds else { throw Problem(code: .invalidField, detail: "no fold \(index)") }
        return try SearchUnits.fold(searches[0].optimizer, folds: folds, index: index, stop: stop)
    }
}

/// A finished unit of a search, as stored in `job_items`.
struct StoredUnit: Codable, Sendable {
    /// The first position in the run order it covers (the fold's index for walk-forward).
    var start = 0
    /// Combinations it covers (1 for a fold).
    var count = 0
    /// Its heatmap lines (``HeatmapCSV``): parameters, then the reported statistics.
    var rows = ""
    /// Its best combinations.
    var top: [StoredCandidate] = []
    /// Its first combination.
    var first: StoredCandidate?
    /// Runs without trades.
    var withoutTrades = 0
    /// Runs below the trade floor (`min_trades`).
    var belowMinTrades: Int?
    /// A walk-forward fold's winner.
    var best: StoredFold?
    /// Its combinations' block statistics for the robustness block (``OptimizationChunk/trials``);
    /// absent in units stored before the server kept them, and in searches that keep none.
    var trials: TrialBlockStatistics?
    /// Seconds the unit took.
    var seconds = 0.0
    /// Why the unit could not run (it fails the search).
    var error: Problem?

    enum CodingKeys: String, CodingKey {
        case start, count, rows, top, first, best, seconds, error, trials
        case withoutTrades = "without_trades"
        case belowMinTrades = "below_min_trades"
    }

    init(start: Int = 0, count: Int = 0, rows: String = "", top: [StoredCandidate] = [], first: StoredCandidate? = nil, withoutTrades: Int = 0) {
        self.start = start
        self.count = count
        self.rows = rows
        self.top = top
        self.first = first
        self.withoutTrades = withoutTrades
    }

    init(error: Problem) {
        self.error = error
    }
}

/// A candidate as stored: its position in the run order and its statistics (its parameters
/// follow from the position).
struct StoredCandidate: Codable, Sendable {
    var sequence: Int
    var stats: Statistics
}

/// A walk-forward fold's winner as stored.
struct StoredFold: Codable, Sendable {
    var params: ParameterList
    var stats: Statistics
    var outOfSample: Statistics

    enum CodingKeys: String, CodingKey {
        case params, stats
        case outOfSample = "out_of_sample"
    }
}
