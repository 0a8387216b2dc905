import BacktestAPI
import BacktestEngine

extension OptimizationReport {
    /// The report of a search on one ticker.
    public init<Target>(result: OptimizationResult, optimizer: Optimizer<Target>) {
        self.init(optimizer: optimizer)
        best = Best(result.best, optimizer: optimizer)
        top = result.top.map { Entry($0, optimizer: optimizer) }
        combinations = result.combinations
        admissible = result.admissible
        evaluated = result.evaluated
        withoutTrades = result.withoutTrades
        seconds = result.seconds
        noteFloor(belowMinTrades: result.belowMinTrades, optimizer: optimizer)
        warnings = Self.warnings(for: result.best, objective: optimizer.configuration.objective)
    }

    /// The report of a walk-forward analysis.
    public init<Target: WalkForwardTarget>(walkForward result: WalkForwardResult, optimizer: Optimizer<Target>, spec: WalkForwardSpec) {
        self.init(optimizer: optimizer)
        let timestamps = optimizer.target.timestamps
        func window(_ range: Range<Int>) -> Window {
            Window(
                start: Timestamp.format(timestamps[range.lowerBound]),
                end: Timestamp.format(timestamps[range.upperBound - 1]),
                bars: range.count
            )
        }
        folds = result.folds.map { fold in
            var entry = Fold(
                train: window(fold.windows.train),
                test: window(fold.windows.test),
                params: ParameterList(fold.best.parameters),
                inSampleObjective: fold.best.objective,
                stats: fold.outOfSample
            )
            let inSample = fold.best.statistics.returnAnnPct
            entry.inSampleReturnAnnPct = inSample.isFinite ? inSample : nil
            entry.efficiency = WalkForwardEfficiency.fold(inSample: inSample, outOfSample: fold.outOfSample.returnAnnPct)
            return entry
        }
        walkForwardEfficiency = WalkForwardEfficiency.overall(
            inSample: result.folds.map(\.best.statistics.returnAnnPct),
            outOfSample: result.folds.map(\.outOfSample.returnAnnPct)
        )
        best = Best(
            params: ParameterList(result.folds.last?.best.parameters ?? []),
            objective: optimizer.configuration.objective.unfloored.value(of: result.statistics),
            stats: result.statistics
        )
        walkForward = spec.description
        noteFloor(belowMinTrades: nil, optimizer: optimizer)
        let objective = optimizer.configuration.objective
        let few = result.folds.indices.filter {
            result.folds[$0].best.objective != nil && result.folds[$0].best.statistics.trades < Objective.fewTrades
        }
        if !few.isEmpty {
            warnings.append(
                "The training winner of fold\(few.count > 1 ? "s" : "") \(few.map { "\($0 + 1)" }.joined(separator: ", ")) made fewer than "
                    + "\(Objective.fewTrades) trades, too few for its \(objective.statistic.name) to mean much; "
                    + "set --min-trades (min_trades), e.g. 30, to choose among combinations with more."
            )
        }
    }

    /// The report of the same search on several tickers, with the ranking by mean objective.
    public init<Target>(tickers results: [(ticker: String, result: OptimizationResult)], ranking: [Ranked], optimizer: Optimizer<Target>) {
        self.init(optimizer: optimizer)
        tickers = results.map {
            TickerResult(
                ticker: $0.ticker,
                best: Best($0.result.best, optimizer: optimizer),
                top: $0.result.top.map { Entry($0, optimizer: optimizer) }
            )
        }
        self.ranking = ranking
        combinations = results.first?.result.combinations
        admissible = results.first?.result.admissible
        evaluated = results.reduce(0) { $0 + $1.result.evaluated }
        withoutTrades = results.reduce(0) { $0 + $1.result.withoutTrades }
        seconds = results.reduce(0) { $0 + $1.result.seconds }
        noteFloor(belowMinTrades: results.reduce(0) { $0 + $1.result.belowMinTrades }, optimizer: optimizer)
        warnings = results.flatMap { item in
            Self.warnings(for: item.result.best, objective: optimizer.configuration.objective).map { "\(item.ticker): \($0)" }
        }
    }

    /// Notes each ticker's coverage (`coverage[i]` for `tickers[i]`; see ``Coverage``): a
    /// short one is flagged by its `short` member, in the table and on the page.
    public mutating func noteCoverage(_ coverage: [Coverage]) {
        guard var tickers else { return }
        for i in tickers.indices where coverage.indices.contains(i) { tickers[i].coverage = coverage[i] }
        self.tickers = tickers
    }

    /// The winner's warnings: fewer than ``Objective/fewTrades`` trades, or no combination
    /// above the floor (the first one shown).
    public static func warnings(for best: Candidate, objective: Objective) -> [String] {
        let trades = best.statistics.trades
        if best.objective == nil {
            guard objective.minTrades > 0 else { return [] }
            return [
                "No combination made at least \(objective.minTrades) trades, so none could be chosen and the first one is shown; "
                    + "lower --min-trades (min_trades)."
            ]
        }
        guard trades < Objective.fewTrades else { return [] }
        return [
            "The winner made only \(trades) trade\(trades == 1 ? "" : "s"), too few for its \(objective.statistic.name) to mean much; "
                + "set --min-trades (min_trades), e.g. 30, to choose among combinations with more."
        ]
    }

    /// Records the search's trade floor, when it has one, and how many runs fell below it.
    mutating func noteFloor<Target>(belowMinTrades: Int?, optimizer: Optimizer<Target>) {
        let floor = optimizer.configuration.objective.minTrades
        guard floor > 0 else { return }
        minTrades = floor
        self.belowMinTrades = belowMinTrades
    }

    /// An empty report naming the search's parameters, statistics and objective.
    init<Target>(optimizer: Optimizer<Target>) {
        let objective = optimizer.configuration.objective
        self.init(
            parameters: optimizer.space.axes.map(\.name),
            statistics: optimizer.configuration.statistics.map(\.name),
            objective: ObjectiveInfo(statistic: objective.statistic.name, direction: objective.maximizes ? "maximize" : "minimize")
        )
    }
}

extension OptimizationReport.Best {
    init<Target>(_ candidate: Candidate, optimizer: Optimizer<Target>) {
        self.init(params: ParameterList(candidate.parameters), objective: candidate.objective, stats: candidate.statistics)
    }
}

extension OptimizationReport.Entry {
    init<Target>(_ candidate: Candidate, optimizer: Optimizer<Target>) {
        self.init(
            params: ParameterList(candidate.parameters),
            stats: StatisticValues(optimizer.configuration.statistics.map { (name: $0.name, value: $0.value(in: candidate.statistics)) })
        )
    }
}
