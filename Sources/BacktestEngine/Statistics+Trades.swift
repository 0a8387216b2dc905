import Foundation

/// The trade statistics of a run (SEMANTICS.md section 8): win rate, best, worst and average
/// trade, durations, profit factor, expectancy, SQN, Kelly and the commissions paid. NaN
/// where undefined (no trades, one trade for SQN).
struct TradeSummary {
    var commissions = 0.0
    var winRatePct = Double.nan
    var bestTradePct = Double.nan
    var worstTradePct = Double.nan
    var avgTradePct = Double.nan
    var maxTradeDurationDays = Double.nan
    var avgTradeDurationDays = Double.nan
    var profitFactor = Double.nan
    var expectancyPct = Double.nan
    var sqn = Double.nan
    var kellyCriterion = Double.nan

    init(_ trades: [TradeRecord], rounding: DurationRounding) {
        for tr in trades { commissions += tr.commission }
        guard !trades.isEmpty else { return }
        var sums = Sums()
        for tr in trades { sums.add(tr) }
        let dn = Double(trades.count)
        let w = Double(sums.wins) / dn
        winRatePct = w * 100
        bestTradePct = sums.bestR * 100
        worstTradePct = sums.worstR * 100
        avgTradePct = (sums.nonPositive ? 0 : exp(sums.logSum / dn) - 1) * 100
        maxTradeDurationDays = rounding.days(sums.maxDur)
        avgTradeDurationDays = rounding.days(sums.sumDur / dn)
        profitFactor = sums.negR == 0 ? .nan : sums.posR / abs(sums.negR)
        expectancyPct = sums.sumR / dn * 100
        let meanPL = sums.sumPL / dn
        if trades.count > 1 {
            var s = 0.0
            for tr in trades { s += (tr.pnl - meanPL) * (tr.pnl - meanPL) }
            let sd = (s / (dn - 1)).squareRoot()
            sqn = sd == 0 ? .nan : dn.squareRoot() * meanPL / sd
        }
        let avgWin = sums.nWin == 0 ? Double.nan : sums.sumWinPL / Double(sums.nWin)
        let avgLoss = sums.nLoss == 0 ? Double.nan : sums.sumLossPL / Double(sums.nLoss)
        kellyCriterion = w - (1 - w) / (avgWin / -avgLoss)
    }

    /// Running sums over the trades, in order.
    private struct Sums {
        var wins = 0
        var bestR = -Double.infinity
        var worstR = Double.infinity
        var logSum = 0.0
        var nonPositive = false
        var sumR = 0.0
        var posR = 0.0
        var negR = 0.0
        var sumPL = 0.0
        var sumWinPL = 0.0
        var sumLossPL = 0.0
        var nWin = 0
        var nLoss = 0
        var maxDur = -Double.infinity
        var sumDur = 0.0

        mutating func add(_ tr: TradeRecord) {
            let r = tr.returnPct
            if tr.pnl > 0 {
                wins += 1
                sumWinPL += tr.pnl
                nWin += 1
            } else if tr.pnl < 0 {
                sumLossPL += tr.pnl
                nLoss += 1
            }
            bestR = max(bestR, r)
            worstR = min(worstR, r)
            if 1 + r <= 0 { nonPositive = true } else { logSum += log(1 + r) }
            sumR += r
            if r > 0 { posR += r } else if r < 0 { negR += r }
            sumPL += tr.pnl
            let dur = Double(tr.exitTime - tr.entryTime)
            maxDur = max(maxDur, dur)
            sumDur += dur
        }
    }

    /// The number of bars covered by at least one closed trade: the union of the trades'
    /// `[entry, exit]` bar spans, merged in order of entry.
    static func coveredBars(_ trades: [TradeRecord]) -> Int {
        guard !trades.isEmpty else { return 0 }
        var spans: [(start: Int, end: Int)] = []
        spans.reserveCapacity(trades.count)
        var sorted = true
        for tr in trades where tr.exitBar >= tr.entryBar {
            if let last = spans.last, last.start > tr.entryBar { sorted = false }
            spans.append((tr.entryBar, tr.exitBar))
        }
        if !sorted { spans.sort { $0.start < $1.start } }
        var covered = 0
        var start = 0
        var end = -1
        for span in spans {
            if span.start > end {
                covered += end - start + 1
                start = span.start
                end = span.end
            } else if span.end > end {
                end = span.end
            }
        }
        return covered + end - start + 1
    }
}
