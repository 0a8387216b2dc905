import BacktestEngine
import BacktestResearch

extension Optimizer {
    /// This search keeping every combination's block statistics for the robustness block, in
    /// ``BlockLayout/defaultBlocks`` blocks (the one default of the CLI and the server; searches
    /// over ``Configuration/robustnessMaxTrials`` keep none).
    public func withRobustness() -> Optimizer {
        var configuration = configuration
        configuration.robustnessBlocks = BlockLayout.defaultBlocks
        return Optimizer(space: space, target: target, configuration: configuration)
    }

    /// The robustness block of a finished search: DSR and PBO over every combination that ran
    /// (the best by per-period Sharpe ratio, whatever the objective), the chosen winner's own
    /// PSR, and the bootstrap of the winner's trades (the winner is run once more for them).
    /// `nil` when the search kept no block statistics (``Configuration/robustnessBlocks``
    /// unset, a target without an equity curve, too few bars) or ran fewer than 2 combinations.
    public func robustness(of result: OptimizationResult, plan: Plan, cache: IndicatorCache? = nil) throws(OptimizeError) -> RobustnessSummary? {
        guard let trials = result.trials, trials.trialCount >= 2, trials.trialCount == plan.order.count else { return nil }
        let report: RobustnessReport
        do {
            report = try RobustnessReport(trials, concurrency: configuration.concurrency)
        } catch {
            return nil
        }
        var summary = RobustnessSummary(report, bestTrial: describe(parameters(at: report.bestTrial, plan: plan)))
        let winner = result.best.sequence
        summary.winner = describe(parameters(at: winner, plan: plan))
        summary.winnerSharpe = trials.moments[winner].sharpe
        summary.winnerPSR = RobustnessReport.psr(trials.moments[winner], benchmark: 0)
        let run: TrialRun?
        do {
            run = try target.runTrial(parameters(at: winner, plan: plan), cache: cache)
        } catch {
            throw OptimizeError(code: .invalidCombination, message: "the winner \(summary.winner ?? "") failed on its rerun: \(error.message)")
        }
        if let trades = run?.tradeReturns, !trades.isEmpty {
            summary.bootstrap = try? TradeBootstrap(tradeReturns: trades)
        }
        return summary
    }

    /// The parameters of the combination run at `sequence`.
    private func parameters(at sequence: Int, plan: Plan) -> [String: ParameterValue] {
        var parameters: [String: ParameterValue] = [:]
        for (axis, value) in zip(space.axes, space.values(at: plan.order[sequence])) { parameters[axis.name] = value }
        return parameters
    }
}
