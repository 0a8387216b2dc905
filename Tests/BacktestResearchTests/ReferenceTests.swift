import BacktestResearch
import Foundation
import Testing

@Suite("robustness statistics against the reference script")
struct ReferenceTests {
    static func statistics(_ columns: [[Double]], blocks: Int) throws -> TrialBlockStatistics {
        var statistics = TrialBlockStatistics(layout: try BlockLayout(periods: columns[0].count, blocks: blocks))
        for column in columns { try statistics.append(returns: column) }
        return statistics
    }

    /// The report of `columns`: PSR's moments from the best trial's own returns.
    static func report(_ columns: [[Double]], blocks: Int, concurrency: Int = 2) throws -> RobustnessReport {
        let statistics = try Self.statistics(columns, blocks: blocks)
        return try RobustnessReport(statistics, bestMoments: SampleMoments(columns[statistics.bestTrial]), concurrency: concurrency)
    }

    static func columns(of reference: ReferenceFixture.Case) throws -> [[Double]] {
        if let returns = reference.returns { return returns }
        let seed = try #require(reference.seed)
        return SyntheticReturns.columns(periods: reference.periods, trials: reference.trials, seed: seed)
    }

    @Test(arguments: ["ties", "two_trials", "uneven", "seeded_2520x120"])
    func reportMatchesTheReference(_ name: String) throws {
        let reference = try #require(ReferenceFixture.case(name))
        let report = try Self.report(try Self.columns(of: reference), blocks: reference.blocks)
        #expect(report.trials == reference.trials)
        #expect(report.periods == reference.periods)
        #expect(report.blocks == reference.blocks)
        #expect(report.combinations == reference.combinations)
        #expect(report.bestTrial == reference.best_trial)
        #expect(close(report.sharpe, reference.sharpe), "sharpe \(report.sharpe) vs \(reference.sharpe)")
        #expect(close(report.sharpeStd, reference.sharpe_std), "sharpe_std")
        #expect(close(report.expectedMaxSharpe, reference.expected_max_sharpe), "expected_max_sharpe")
        #expect(close(report.psr, reference.psr), "psr \(String(describing: report.psr)) vs \(String(describing: reference.psr))")
        #expect(close(report.dsr, reference.dsr), "dsr \(String(describing: report.dsr)) vs \(String(describing: reference.dsr))")
        #expect(close(report.pbo, reference.pbo), "pbo \(report.pbo) vs \(reference.pbo)")
        #expect(close(report.probOOSLoss, reference.prob_oos_loss), "prob_oos_loss")
        #expect(close(report.degradation.slope, reference.degradation.slope), "slope")
        #expect(close(report.degradation.intercept, reference.degradation.intercept), "intercept")
        let estimate = report.crossValidation
        for (k, expected) in reference.logits.enumerated() {
            #expect(close(estimate.logits[k], expected), "logit of split \(k)")
            #expect(estimate.selectedTrials[k] == reference.selected[k], "n* of split \(k)")
            #expect(close(estimate.inSampleSharpe[k], reference.in_sample_sharpe[k]), "in-sample Sharpe of split \(k)")
            #expect(close(estimate.outOfSampleSharpe[k], reference.out_of_sample_sharpe[k]), "out-of-sample Sharpe of split \(k)")
        }
    }

    @Test func syntheticMatrixIsTheScriptsMatrix() throws {
        let reference = try #require(ReferenceFixture.case("seeded_2520x120"))
        let checksum = try #require(reference.checksum)
        let columns = SyntheticReturns.columns(periods: 2520, trials: 120, seed: try #require(reference.seed))
        #expect(columns[0][0] == checksum.first)
        #expect(columns[119][2519] == checksum.last)
        let sum = columns.reduce(0) { $0 + $1.reduce(0, +) }
        #expect(abs(sum - checksum.sum) < 1e-10)
    }

    @Test func tiedTrialsShareTheirRankAndTheFirstIsChosen() throws {
        let reference = try #require(ReferenceFixture.case("ties"))
        let report = try Self.report(try #require(reference.returns), blocks: reference.blocks)
        // Trials 0, 1 and 2 (A, A and 2·A) tie: n* is trial 0, ranked (4 + 5 + 6) / 3 = 5 of 6.
        #expect(report.bestTrial == 0)
        #expect(report.crossValidation.selectedTrials.allSatisfy { $0 == 0 })
        #expect(report.crossValidation.logits.allSatisfy { abs($0 - log((5.0 / 7) / (2.0 / 7))) < 1e-15 })
    }

    @Test(arguments: [0, 1])
    func bootstrapMatchesTheReference(_ index: Int) throws {
        let reference = ReferenceFixture.shared.bootstrap[index]
        let bootstrap = try TradeBootstrap(tradeReturns: reference.trade_returns, samples: reference.samples, seed: reference.seed)
        #expect(bootstrap.trades == reference.trade_returns.count)
        #expect(close(bootstrap.totalReturn.p5, reference.total_return.p5))
        #expect(close(bootstrap.totalReturn.p50, reference.total_return.p50))
        #expect(close(bootstrap.totalReturn.p95, reference.total_return.p95))
        #expect(close(bootstrap.maxDrawdown.p5, reference.max_drawdown.p5))
        #expect(close(bootstrap.maxDrawdown.p50, reference.max_drawdown.p50))
        #expect(close(bootstrap.maxDrawdown.p95, reference.max_drawdown.p95))
    }

    @Test func quantilesAndExpectedMaximaMatchScipy() throws {
        for q in ReferenceFixture.shared.quantiles {
            let x = try #require(NormalDistribution.quantile(q.p))
            #expect(abs(x - q.x) <= 1e-14 * max(1, abs(q.x)), "Φ⁻¹(\(q.p)) = \(x), scipy \(q.x)")
        }
        for e in ReferenceFixture.shared.expected_maximum {
            #expect(close(DeflatedSharpe.expectedMaximum(trials: e.trials), e.value, tolerance: 1e-13), "E[max] for N = \(e.trials)")
        }
        #expect(DeflatedSharpe.expectedMaximum(trials: 1) == nil)
    }
}
