import BacktestAPI
import BacktestEngine

extension OptimizationRequest {
    /// The optimizer this request describes over `target`: its grid, constraint, objective,
    /// method and reported statistics, checked (the same checks and messages for
    /// `backtest optimize` and `POST /v1/optimizations`).
    ///
    /// - Parameters:
    ///   - limit: the most combinations the grid may have (before the constraint).
    ///   - concurrency: runs at once (default: the number of cores).
    /// - Throws: ``OptimizeError`` naming the field.
    public func optimizer<Target: OptimizationTarget>(
        target: Target,
        limit: Int = SearchSpace.defaultLimit,
        concurrency: Int? = nil
    ) throws(OptimizeError) -> Optimizer<Target> {
        let configuration: Optimizer<Target>.Configuration = try searchConfiguration()
        var adjusted = configuration
        if let concurrency { adjusted.concurrency = max(1, concurrency) }
        let axes = try grid.map { spec throws(OptimizeError) in try ParameterAxis(parsing: spec) }
        let space = try SearchSpace(axes: axes, constraint: constraint, limit: limit)
        return Optimizer(space: space, target: target, configuration: adjusted)
    }

    /// The method, objective, statistics and top count, checked.
    func searchConfiguration<Target>() throws(OptimizeError) -> Optimizer<Target>.Configuration {
        func fail(_ field: String, _ message: String) -> OptimizeError {
            OptimizeError(code: .invalidSearch, message: message, field: field)
        }
        let objective = try searchObjective()
        var reported: [StatisticKey]?
        if let stats {
            reported = []
            for name in stats.map({ $0.trimmed }) where !name.isEmpty {
                do {
                    reported?.append(try StatisticKey(name: name))
                } catch {
                    throw OptimizeError(code: .unknownStatistic, message: "--stats: \(error.message)", field: "stats")
                }
            }
        }
        let top = self.top ?? 10
        guard top >= 0 else { throw fail("top", "--top must be 0 or more, got \(top)") }
        if let blocks = robustnessBlocks, blocks < 2 || blocks > Self.maxRobustnessBlocks || blocks % 2 != 0 {
            throw fail(
                "robustness_blocks",
                "--robustness-blocks (robustness_blocks) must be an even number from 2 to \(Self.maxRobustnessBlocks), got \(blocks)"
            )
        }
        if robustnessBlocks != nil, walkForward != nil || searchedTickers.count > 1 {
            throw fail(
                "robustness_blocks",
                "--robustness-blocks (robustness_blocks): only a search of one ticker or a portfolio, without walk-forward, has a robustness block"
            )
        }
        var configuration = Optimizer<Target>.Configuration(objective: objective, statistics: reported, topCount: top)
        switch method ?? "grid" {
        case "grid":
            if maxTries != nil || seed != nil { throw fail(maxTries != nil ? "max_tries" : "seed", "--max-tries and --seed need --method random") }
        case "random":
            let tries = maxTries ?? 100
            guard tries >= 1 else { throw fail("max_tries", "--max-tries must be at least 1, got \(tries)") }
            configuration.method = .random(maxTries: tries, seed: seed ?? 0)
        case let other:
            throw fail("method", "--method '\(other.prefix(40))' is not grid or random")
        }
        return configuration
    }

    /// The objective with its trade floor, checked.
    public func searchObjective() throws(OptimizeError) -> Objective {
        guard maximize == nil || minimize == nil else {
            throw OptimizeError(code: .invalidSearch, message: "--maximize and --minimize exclude each other", field: "minimize")
        }
        var objective: Objective
        if let minimize {
            objective = try Objective(minimize: minimize)
        } else {
            objective = try Objective(maximize: maximize ?? "sqn")
        }
        let floor = minTrades ?? 0
        guard (0...Self.maxMinTrades).contains(floor) else {
            throw OptimizeError(
                code: .invalidSearch,
                message: "--min-trades (min_trades) must be from 0 to \(Self.maxMinTrades), got \(floor)",
                field: "min_trades"
            )
        }
        objective.minTrades = floor
        return objective
    }

    /// The walk-forward specification, when there is one.
    ///
    /// - Throws: ``OptimizeError`` `invalid_walk_forward`.
    public func walkForwardSpec() throws(OptimizeError) -> WalkForwardSpec? {
        try walkForward.map { text throws(OptimizeError) in try WalkForwardSpec(parsing: text) }
    }
}
