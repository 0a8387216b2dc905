import Foundation

extension RobustnessSummary {
    /// What DSR and PBO mean for these trials, in two sentences for people.
    public var explanation: [String] {
        [dsrSentence, pboSentence]
    }

    /// A search's notes: ``explanation``, then, when the search used fewer than 16 blocks
    /// because 16 would not fit its budget, why (``BlockLayout/reduction(blocks:trials:)``).
    public var searchExplanation: [String] {
        explanation + (BlockLayout.reduction(blocks: blocks, trials: trials).map { [$0] } ?? [])
    }

    private var dsrSentence: String {
        guard let dsr else {
            return "DSR: undefined (the best trial's returns are too skewed or heavy-tailed for the formula)."
        }
        let verdict: String
        if dsr >= 0.95 {
            verdict = "it stands out: unlikely to be the luck of \(trials) draws"
        } else if dsr >= 0.5 {
            verdict = "it is above what luck alone would give, but not clearly"
        } else {
            verdict = "it is no better than the maximum of \(trials) noisy draws, so it may well be luck"
        }
        return "DSR \(Self.fixed(dsr, 2)): the probability that the best trial's Sharpe ratio (\(Self.fixed(sharpe, 4)) per period) "
            + "beats the \(Self.fixed(expectedMaxSharpe, 4)) that the best of \(trials) trials without skill would be expected "
            + "to reach; \(verdict)."
    }

    private var pboSentence: String {
        let verdict: String
        if pbo < 0.1 {
            verdict = "the choice carries over out of sample"
        } else if pbo < 0.5 {
            verdict = "the choice often fails out of sample"
        } else {
            verdict = "choosing the in-sample best is no better than choosing at random"
        }
        return "PBO \(Self.fixed(pbo, 2)): in \(Self.fixed(pbo * 100, 1)) % of the \(combinations) ways of splitting the \(periods) periods "
            + "into halves, the trial best on one half ranked at or below the median on the other; \(verdict)."
    }

    /// `value` with `digits` decimals.
    static func fixed(_ value: Double, _ digits: Int) -> String {
        String(format: "%.\(digits)f", value)
    }
}
