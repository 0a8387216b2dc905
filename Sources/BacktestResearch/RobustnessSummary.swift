/// A ``RobustnessReport`` as published (the `robustness` block of `backtest robustness` and
/// of a search's JSON): the best trial by name, PSR/DSR, PBO and, when the trials have
/// trades, the bootstrap of the winner's trades; for drawing, the histogram of every split's
/// logit and a sample of the splits' Sharpe ratios. Keys are snake_case; an undefined `psr` or
/// `dsr` is `null`, and `bootstrap` is absent without trades.
public struct RobustnessSummary: Sendable, Equatable, Codable {
    /// N.
    public var trials: Int
    /// T.
    public var periods: Int
    /// S.
    public var blocks: Int
    /// C(S, S/2).
    public var combinations: Int
    /// The name of the trial with the best full-sample Sharpe ratio.
    public var bestTrial: String
    /// Its per-period Sharpe ratio.
    public var sharpe: Double
    /// std of the trials' Sharpe ratios (ddof = 1).
    public var sharpeStd: Double
    /// SR₀: the Sharpe ratio the best of N trials without skill is expected to reach.
    public var expectedMaxSharpe: Double
    /// PSR(SR\*, 0).
    public var psr: Double?
    /// PSR(SR\*, SR₀).
    public var dsr: Double?
    /// The Probability of Backtest Overfitting.
    public var pbo: Double
    /// The probability that the in-sample best loses out of sample.
    public var probOOSLoss: Double
    /// Out-of-sample against in-sample Sharpe ratio of the in-sample best.
    public var degradation: LeastSquaresLine
    /// Every split's logit λ, counted in bins (the page's histogram).
    public var logitHistogram: LogitHistogram?
    /// Some splits' in-sample and out-of-sample Sharpe ratios of n\* (the page's scatter).
    public var splitSample: SplitSample?
    /// The bootstrap of a winner's trades, when there are trades.
    public var bootstrap: TradeBootstrap?
    /// A search's winner (chosen by its own objective, which may differ from the best by
    /// Sharpe ratio): the trial's name.
    public var winner: String?
    /// The winner's per-period Sharpe ratio.
    public var winnerSharpe: Double?
    /// The winner's own PSR(SR, 0).
    public var winnerPSR: Double?

    /// The summary of `report`, naming its best trial `bestTrial`.
    public init(_ report: RobustnessReport, bestTrial: String, bootstrap: TradeBootstrap? = nil) {
        trials = report.trials
        periods = report.periods
        blocks = report.blocks
        combinations = report.combinations
        self.bestTrial = bestTrial
        sharpe = report.sharpe
        sharpeStd = report.sharpeStd
        expectedMaxSharpe = report.expectedMaxSharpe
        psr = report.psr
        dsr = report.dsr
        pbo = report.pbo
        probOOSLoss = report.probOOSLoss
        degradation = report.degradation
        logitHistogram = LogitHistogram(report.crossValidation.logits)
        splitSample = SplitSample(inSample: report.crossValidation.inSampleSharpe, outOfSample: report.crossValidation.outOfSampleSharpe)
        self.bootstrap = bootstrap
    }

    private enum CodingKeys: String, CodingKey {
        case trials, periods, blocks, combinations, sharpe, psr, dsr, pbo, degradation, bootstrap, winner
        case winnerSharpe = "winner_sharpe"
        case winnerPSR = "winner_psr"
        case bestTrial = "best_trial"
        case sharpeStd = "sharpe_std"
        case expectedMaxSharpe = "expected_max_sharpe"
        case probOOSLoss = "prob_oos_loss"
        case logitHistogram = "logit_histogram"
        case splitSample = "split_sample"
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(trials, forKey: .trials)
        try container.encode(periods, forKey: .periods)
        try container.encode(blocks, forKey: .blocks)
        try container.encode(combinations, forKey: .combinations)
        try container.encode(bestTrial, forKey: .bestTrial)
        try container.encode(sharpe, forKey: .sharpe)
        try container.encode(sharpeStd, forKey: .sharpeStd)
        try container.encode(expectedMaxSharpe, forKey: .expectedMaxSharpe)
        try container.encode(psr, forKey: .psr)
        try container.encode(dsr, forKey: .dsr)
        try container.encode(pbo, forKey: .pbo)
        try container.encode(probOOSLoss, forKey: .probOOSLoss)
        try container.encode(degradation, forKey: .degradation)
        try container.encodeIfPresent(logitHistogram, forKey: .logitHistogram)
        try container.encodeIfPresent(splitSample, forKey: .splitSample)
        try container.encodeIfPresent(bootstrap, forKey: .bootstrap)
        try container.encodeIfPresent(winner, forKey: .winner)
        try container.encodeIfPresent(winnerSharpe, forKey: .winnerSharpe)
        if winner != nil { try container.encode(winnerPSR, forKey: .winnerPSR) }
    }
}
