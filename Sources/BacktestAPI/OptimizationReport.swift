import BacktestEngine
import BacktestJSON
import BacktestResearch

/// The outcome of a parameter search, as `backtest optimize --format json` prints it and
/// `GET /v1/optimizations/{id}` returns it (`result`).
///
/// One shape for the three kinds of search; members that do not apply are left out:
/// - one ticker: `best`, `top` and the counts (`combinations`, `admissible`, `evaluated`,
///   `without_trades`, `seconds`);
/// - walk-forward: `folds`, `walk_forward`, `walk_forward_efficiency`, and `best` (the last
///   fold's winner, the parameters to trade next, with the stitched out-of-sample statistics);
/// - several tickers: `tickers` (each one's best and top) and `ranking` (the combinations by
///   their mean objective across the tickers).
///
/// A search on one ticker or of a portfolio also carries `robustness` (``RobustnessSummary``:
/// DSR, PBO by CSCV, PSR, the bootstrap of the winner's trades) when it kept every
/// combination's block statistics; walk-forward and multi-ticker searches have none.
///
/// Every kind carries `warnings`: plain sentences about what could mislead, such as a winner
/// that rests on fewer than 10 trades. A search with a trade floor (`min_trades`) also reports
/// it and how many combinations fell below it (`below_min_trades`).
///
/// Statistics have the keys and units of `backtest run --format json`; NaN is `null`.
public struct OptimizationReport: Sendable, Codable {
    /// The winning combination.
    public struct Best: Sendable, Codable {
        /// Its parameters, in grid order.
        public var params: ParameterList
        /// Its objective value; `null` when no combination made a trade.
        public var objective: Double?
        /// Its full statistics.
        public var stats: Statistics

        /// Creates a best entry.
        public init(params: ParameterList, objective: Double?, stats: Statistics) {
            self.params = params
            self.objective = objective
            self.stats = stats
        }

        enum CodingKeys: String, CodingKey { case params, objective, stats }

        public init(from decoder: any Decoder) throws {
            let c = try decoder.container(keyedBy: CodingKeys.self)
            params = try c.decode(ParameterList.self, forKey: .params)
            objective = try WireDouble.decodeOptional(forKey: .objective, in: c)
            stats = try c.decode(Statistics.self, forKey: .stats)
        }

        public func encode(to encoder: any Encoder) throws {
            var c = encoder.container(keyedBy: CodingKeys.self)
            try c.encode(params, forKey: .params)
            try WireDouble.encode(objective ?? .nan, forKey: .objective, in: &c)
            try c.encode(stats, forKey: .stats)
        }
    }

    /// One of the top combinations with its reported statistics.
    public struct Entry: Sendable, Codable {
        /// Its parameters, in grid order.
        public var params: ParameterList
        /// The reported statistics, in ``OptimizationReport/statistics`` order.
        public var stats: StatisticValues

        /// Creates an entry.
        public init(params: ParameterList, stats: StatisticValues) {
            self.params = params
            self.stats = stats
        }
    }

    /// A window of bars.
    public struct Window: Sendable, Codable, Hashable {
        /// First bar's date-time.
        public var start: String
        /// Last bar's date-time.
        public var end: String
        /// Bars in it.
        public var bars: Int

        /// Creates a window.
        public init(start: String, end: String, bars: Int) {
            self.start = start
            self.end = end
            self.bars = bars
        }
    }

    /// One fold of a walk-forward analysis.
    public struct Fold: Sendable, Codable {
        /// The training window.
        public var train: Window
        /// The test window.
        public var test: Window
        /// The training window's winner.
        public var params: ParameterList
        /// Its objective on the training window.
        public var inSampleObjective: Double?
        /// Its statistics on the test window.
        public var stats: Statistics
        /// Its annualised return on the training window, in percent.
        public var inSampleReturnAnnPct: Double?
        /// Its walk-forward efficiency: out-of-sample over in-sample annualised return
        /// (`WalkForwardEfficiency` in `BacktestOptimize`); `nil` when undefined.
        public var efficiency: Double?

        enum CodingKeys: String, CodingKey {
            case train, test, params, stats, efficiency
            case inSampleObjective = "in_sample_objective"
            case inSampleReturnAnnPct = "in_sample_return_ann_pct"
        }

        /// Creates a fold.
        public init(train: Window, test: Window, params: ParameterList, inSampleObjective: Double?, stats: Statistics) {
            self.train = train
            self.test = test
            self.params = params
            self.inSampleObjective = inSampleObjective
            self.stats = stats
        }

        public init(from decoder: any Decoder) throws {
            let c = try decoder.container(keyedBy: CodingKeys.self)
            train = try c.decode(Window.self, forKey: .train)
            test = try c.decode(Window.self, forKey: .test)
            params = try c.decode(ParameterList.self, forKey: .params)
            inSampleObjective = try WireDouble.decodeOptional(forKey: .inSampleObjective, in: c)
            stats = try c.decode(Statistics.self, forKey: .stats)
            inSampleReturnAnnPct = try WireDouble.decodeOptional(forKey: .inSampleReturnAnnPct, in: c)
            efficiency = try WireDouble.decodeOptional(forKey: .efficiency, in: c)
        }

        public func encode(to encoder: any Encoder) throws {
            var c = encoder.container(keyedBy: CodingKeys.self)
            try c.encode(train, forKey: .train)
            try c.encode(test, forKey: .test)
            try c.encode(params, forKey: .params)
            try WireDouble.encode(inSampleObjective ?? .nan, forKey: .inSampleObjective, in: &c)
            try c.encode(stats, forKey: .stats)
            try WireDouble.encode(inSampleReturnAnnPct ?? .nan, forKey: .inSampleReturnAnnPct, in: &c)
            try WireDouble.encode(efficiency ?? .nan, forKey: .efficiency, in: &c)
        }
    }

    /// What was optimised.
    public struct ObjectiveInfo: Sendable, Codable, Hashable {
        /// The statistic's key.
        public var statistic: String
        /// `maximize` or `minimize`.
        public var direction: String

        /// Creates the description of an objective.
        public init(statistic: String, direction: String) {
            self.statistic = statistic
            self.direction = direction
        }

        /// `true` when larger values win.
        public var maximizes: Bool { direction == "maximize" }
    }

    /// One ticker's search, in a search over several.
    public struct TickerResult: Sendable, Codable {
        /// The ticker.
        public var ticker: String
        /// Its best combination.
        public var best: Best
        /// Its top combinations.
        public var top: [Entry]
        /// The window its data covers against the requested one (`short` when it covers less;
        /// see ``Coverage``).
        public var coverage: Coverage?

        /// Creates a ticker's result.
        public init(ticker: String, best: Best, top: [Entry], coverage: Coverage? = nil) {
            self.ticker = ticker
            self.best = best
            self.top = top
            self.coverage = coverage
        }
    }

    /// A combination ranked by its mean objective across tickers.
    public struct Ranked: Sendable, Codable {
        /// Its parameters, in grid order.
        public var params: ParameterList
        /// The mean of its objective over the tickers where it has one.
        public var meanObjective: Double
        /// How many tickers have a value (a run without trades has none).
        public var tickers: Int

        enum CodingKeys: String, CodingKey {
            case params, tickers
            case meanObjective = "mean_objective"
        }

        /// Creates a ranked combination.
        public init(params: ParameterList, meanObjective: Double, tickers: Int) {
            self.params = params
            self.meanObjective = meanObjective
            self.tickers = tickers
        }

        public init(from decoder: any Decoder) throws {
            let c = try decoder.container(keyedBy: CodingKeys.self)
            params = try c.decode(ParameterList.self, forKey: .params)
            meanObjective = try WireDouble.decode(forKey: .meanObjective, in: c)
            tickers = try c.decode(Int.self, forKey: .tickers)
        }

        public func encode(to encoder: any Encoder) throws {
            var c = encoder.container(keyedBy: CodingKeys.self)
            try c.encode(params, forKey: .params)
            try WireDouble.encode(meanObjective, forKey: .meanObjective, in: &c)
            try c.encode(tickers, forKey: .tickers)
        }
    }

    /// The grid's parameters, in order.
    public var parameters: [String]
    /// The statistics each top entry reports, in order.
    public var statistics: [String]
    /// What was optimised.
    public var objective: ObjectiveInfo
    /// The winner (one ticker; walk-forward).
    public var best: Best?
    /// The best combinations, best first (one ticker).
    public var top: [Entry]
    /// The folds (walk-forward).
    public var folds: [Fold]
    /// Combinations in the grid, before the constraint.
    public var combinations: Int?
    /// Combinations the constraint admits.
    public var admissible: Int?
    /// Combinations run (over all tickers).
    public var evaluated: Int?
    /// Runs without a trade.
    public var withoutTrades: Int?
    /// The trade floor, when the search had one (`min_trades` > 0).
    public var minTrades: Int?
    /// Runs that traded, but fewer times than the floor (counted, never chosen).
    public var belowMinTrades: Int?
    /// Plain sentences about what could mislead (e.g. a winner with fewer than 10 trades).
    public var warnings: [String] = []
    /// Seconds the runs took.
    public var seconds: Double?
    /// The walk-forward specification (walk-forward).
    public var walkForward: String?
    /// The walk-forward efficiency over the folds: mean out-of-sample over mean in-sample
    /// annualised return (walk-forward; `nil` when undefined, written `null`).
    public var walkForwardEfficiency: Double?
    /// Each ticker's search (several tickers).
    public var tickers: [TickerResult]?
    /// The combinations by mean objective (several tickers).
    public var ranking: [Ranked]?
    /// The overfitting statistics over every combination that ran (one ticker, a portfolio).
    public var robustness: RobustnessSummary?

    /// Creates a report; the builders from a search are in `BacktestOptimize`.
    public init(
        parameters: [String],
        statistics: [String],
        objective: ObjectiveInfo,
        best: Best? = nil,
        top: [Entry] = [],
        folds: [Fold] = []
    ) {
        self.parameters = parameters
        self.statistics = statistics
        self.objective = objective
        self.best = best
        self.top = top
        self.folds = folds
    }

    enum CodingKeys: String, CodingKey {
        case parameters, statistics, objective, best, top, folds, combinations, admissible, evaluated, seconds, tickers, ranking
        case withoutTrades = "without_trades"
        case walkForward = "walk_forward"
        case walkForwardEfficiency = "walk_forward_efficiency"
        case minTrades = "min_trades"
        case belowMinTrades = "below_min_trades"
        case warnings, robustness
    }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        parameters = try c.decode([String].self, forKey: .parameters)
        statistics = try c.decode([String].self, forKey: .statistics)
        objective = try c.decode(ObjectiveInfo.self, forKey: .objective)
        best = try c.decodeIfPresent(Best.self, forKey: .best)
        top = try c.decodeIfPresent([Entry].self, forKey: .top) ?? []
        folds = try c.decodeIfPresent([Fold].self, forKey: .folds) ?? []
        combinations = try c.decodeIfPresent(Int.self, forKey: .combinations)
        admissible = try c.decodeIfPresent(Int.self, forKey: .admissible)
        evaluated = try c.decodeIfPresent(Int.self, forKey: .evaluated)
        withoutTrades = try c.decodeIfPresent(Int.self, forKey: .withoutTrades)
        minTrades = try c.decodeIfPresent(Int.self, forKey: .minTrades)
        belowMinTrades = try c.decodeIfPresent(Int.self, forKey: .belowMinTrades)
        warnings = try c.decodeIfPresent([String].self, forKey: .warnings) ?? []
        seconds = try c.decodeIfPresent(Double.self, forKey: .seconds)
        walkForward = try c.decodeIfPresent(String.self, forKey: .walkForward)
        walkForwardEfficiency = try WireDouble.decodeOptional(forKey: .walkForwardEfficiency, in: c)
        tickers = try c.decodeIfPresent([TickerResult].self, forKey: .tickers)
        ranking = try c.decodeIfPresent([Ranked].self, forKey: .ranking)
        robustness = try c.decodeIfPresent(RobustnessSummary.self, forKey: .robustness)
        restoreOrder()
    }

    public func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(parameters, forKey: .parameters)
        try c.encode(statistics, forKey: .statistics)
        try c.encode(objective, forKey: .objective)
        try c.encodeIfPresent(best, forKey: .best)
        try c.encode(top, forKey: .top)
        try c.encode(folds, forKey: .folds)
        try c.encodeIfPresent(combinations, forKey: .combinations)
        try c.encodeIfPresent(admissible, forKey: .admissible)
        try c.encodeIfPresent(evaluated, forKey: .evaluated)
        try c.encodeIfPresent(withoutTrades, forKey: .withoutTrades)
        try c.encodeIfPresent(minTrades, forKey: .minTrades)
        try c.encodeIfPresent(belowMinTrades, forKey: .belowMinTrades)
        try c.encodeIfPresent(seconds, forKey: .seconds)
        try c.encodeIfPresent(walkForward, forKey: .walkForward)
        if walkForward != nil { try WireDouble.encode(walkForwardEfficiency ?? .nan, forKey: .walkForwardEfficiency, in: &c) }
        try c.encodeIfPresent(tickers, forKey: .tickers)
        try c.encodeIfPresent(ranking, forKey: .ranking)
        try c.encode(warnings, forKey: .warnings)
        try c.encodeIfPresent(robustness, forKey: .robustness)
    }

    /// JSON objects carry no order: put parameters and statistics back in grid and
    /// reported order after decoding.
    private mutating func restoreOrder() {
        let names = parameters
        let stats = statistics
        best?.params.order(by: names)
        for i in top.indices {
            top[i].params.order(by: names)
            top[i].stats.order(by: stats)
        }
        for i in folds.indices { folds[i].params.order(by: names) }
        for t in (tickers ?? []).indices {
            tickers?[t].best.params.order(by: names)
            for i in (tickers?[t].top ?? []).indices {
                tickers?[t].top[i].params.order(by: names)
                tickers?[t].top[i].stats.order(by: stats)
            }
        }
        for i in (ranking ?? []).indices { ranking?[i].params.order(by: names) }
    }
}

/// Parameter values in a fixed order, as a JSON object.
public struct ParameterList: Sendable, Codable, Hashable {
    /// The parameters, in order.
    public var items: [Item]

    /// One parameter.
    public struct Item: Sendable, Hashable {
        /// Its name.
        public var name: String
        /// Its value.
        public var value: ParameterValue

        /// Creates an item.
        public init(name: String, value: ParameterValue) {
            self.name = name
            self.value = value
        }
    }

    /// Creates a list.
    public init(_ items: [(name: String, value: ParameterValue)]) {
        self.items = items.map { Item(name: $0.name, value: $0.value) }
    }

    /// The values by name.
    public var dictionary: [String: ParameterValue] {
        Dictionary(items.map { ($0.name, $0.value) }, uniquingKeysWith: { a, _ in a })
    }

    /// Puts the items in the order of `names` (others after them, by name).
    public mutating func order(by names: [String]) {
        let rank = Dictionary(names.enumerated().map { ($0.element, $0.offset) }, uniquingKeysWith: { a, _ in a })
        items.sort { (rank[$0.name] ?? Int.max, $0.name) < (rank[$1.name] ?? Int.max, $1.name) }
    }

    public init(from decoder: any Decoder) throws {
        let values = try [String: ParameterValue](from: decoder)
        items = values.keys.sorted().compactMap { name in values[name].map { Item(name: name, value: $0) } }
    }

    public func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: AnyCodingKey.self)
        for item in items { try c.encode(item.value, forKey: AnyCodingKey(stringValue: item.name)) }
    }
}

/// Some statistics by key in a fixed order, as a JSON object (NaN `null`, infinities as
/// strings).
public struct StatisticValues: Sendable, Codable {
    /// The statistics, in order.
    public var values: [(name: String, value: Double)]

    /// Creates a list.
    public init(_ values: [(name: String, value: Double)]) {
        self.values = values
    }

    /// The value of `name`, NaN when absent.
    public subscript(name: String) -> Double {
        values.first { $0.name == name }?.value ?? .nan
    }

    /// Puts the values in the order of `names` (others after them, by name).
    public mutating func order(by names: [String]) {
        let rank = Dictionary(names.enumerated().map { ($0.element, $0.offset) }, uniquingKeysWith: { a, _ in a })
        values.sort { (rank[$0.name] ?? Int.max, $0.name) < (rank[$1.name] ?? Int.max, $1.name) }
    }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: AnyCodingKey.self)
        values = try c.allKeys.map(\.stringValue).sorted().map { name in
            (name, try WireDouble.decode(forKey: AnyCodingKey(stringValue: name), in: c))
        }
    }

    public func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: AnyCodingKey.self)
        for (name, value) in values { try WireDouble.encode(value, forKey: AnyCodingKey(stringValue: name), in: &c) }
    }
}

/// The reply to `GET /v1/optimizations/{id}`: the job's state and progress (combinations, or
/// folds for a walk-forward analysis), then its result once done, or the error that failed it.
public struct OptimizationStatus: Sendable, Codable {
    /// The job's id.
    public var id: String
    /// Its state.
    public var status: JobState
    /// Combinations (folds) finished and in all.
    public var progress: JobProgress
    /// The search's result, once `done`.
    public var result: OptimizationReport?
    /// Why it failed, when `failed` because a unit could not run.
    public var error: Problem?

    /// Creates a status.
    public init(id: String, status: JobState, progress: JobProgress, result: OptimizationReport? = nil, error: Problem? = nil) {
        self.id = id
        self.status = status
        self.progress = progress
        self.result = result
        self.error = error
    }
}
