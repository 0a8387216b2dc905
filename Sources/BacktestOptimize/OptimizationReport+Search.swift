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
    }

    /// The report of a walk-forward analysis.
    public init<Target: WalkForwardTarget>(walkForward result: WalkForwardResult, optimizer: Optimizer<Target>, spec: WalkForwardSpec) {
        self.init(optimizer: optimizer)
        let bars = optimizer.target.bars
        func window(_ range: Range<Int>) -> Window {
            Window(
                start: Timestamp.format(bars.timestamps[range.lowerBound]),
                end: Timestamp.format(bars.timestamps[range.upperBound - 1]),
                bars: range.count
            )
        }
        folds = result.folds.map { fold in
            Fold(
                train: window(fold.windows.train),
                test: window(fold.windows.test),
                params: ParameterList(fold.best.parameters),
                inSampleObjective: fold.best.objective,
                stats: fold.outOfSample
            )
        }
        best = Best(
            params: ParameterList(result.folds.last?.best.parameters ?? []),
            objective: optimizer.configuration.objective.value(of: result.statistics),
            stats: result.statistics
        )
        walkForward = spec.description
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
