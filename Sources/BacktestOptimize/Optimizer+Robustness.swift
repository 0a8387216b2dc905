import BacktestEngine
import BacktestResearch

extension Optimizer {
    /// This search keeping every combination's block statistics for the robustness block, in
    /// `blocks` CSCV blocks, or when `nil` in the S that ``BlockLayout/searchBlocks(trials:periods:)``
    /// chooses for the number of combinations (16 up to 194 of them; 8 at 10,000). Searches over
    /// ``Configuration/robustnessMaxTrials`` keep none.
    public func withRobustness(blocks: Int? = nil) -> Optimizer {
        var configuration = configuration
        configuration.robustnessBlocks = blocks.map { .fixed($0) } ?? .automatic
        return Optimizer(space: space, target: target, configuration: configuration)
    }

    /// The robustness block of a finished search: DSR and PBO over every combination that ran
    /// (the best by per-period Sharpe ratio, whatever the objective), the chosen winner's own
    /// PSR, and the bootstrap of the winner's trades. The best and the winner are run once
    /// more: their returns give PSR's skewness and kurtosis (the block statistics keep none)
    /// and the winner's trades. `nil` when the search kept no block statistics
    /// (``Configuration/robustnessBlocks`` unset, a target without an equity curve, too few
    /// bars) or ran fewer than 2 combinations.
    public func robustness(of result: OptimizationResult, plan: Plan, cache: IndicatorCache? = nil) throws(OptimizeError) -> RobustnessSummary? {
        guard let trials = result.trials, trials.trialCount >= 2, trials.trialCount == plan.order.count else { return nil }
        let winner = result.best.sequence
        let best = trials.bestTrial
        guard let winnerRun = try rerun(winner, plan: plan, cache: cache) else { return nil }
        let bestRun = best == winner ? winnerRun : try rerun(best, plan: plan, cache: cache)
        guard let bestRun else { return nil }
        let report: RobustnessReport
        do {
            report = try RobustnessReport(trials, bestMoments: SampleMoments(bestRun.returns), concurrency: configuration.concurrency)
        } catch {
            return nil
        }
        var summary = RobustnessSummary(report, bestTrial: describe(parameters(at: best, plan: plan)))
        summary.winner = describe(parameters(at: winner, plan: plan))
        summary.winnerSharpe = trials.totals[winner].sharpe
        summary.winnerPSR = RobustnessReport.psr(SampleMoments(winnerRun.returns), benchmark: 0)
        if !winnerRun.tradeReturns.isEmpty {
            summary.bootstrap = try? TradeBootstrap(tradeReturns: winnerRun.tradeReturns)
        }
        return summary
    }

    /// The combination run at `sequence`, run again.
    private func rerun(_ sequence: Int, plan: Plan, cache: IndicatorCache?) throws(OptimizeError) -> TrialRun? {
        let parameters = parameters(at: sequence, plan: plan)
        do {
            return try target.runTrial(parameters, cache: cache)
        } catch {
            throw OptimizeError(code: .invalidCombination, message: "the combination \(describe(parameters)) failed on its rerun: \(error.message)")
        }
    }

    /// The parameters of the combination run at `sequence`.
    private func parameters(at sequence: Int, plan: Plan) -> [String: ParameterValue] {
        space.parameters(at: plan.order[sequence])
    }
}
