import Foundation

/// The return summary and drawdown pass of an equity curve without a market (no beta) whose
/// bars are each their own period (daily data, one bar a day): the portfolios' statistics.
///
/// The same values as ``ReturnSummary`` with ``DrawdownPass``, from the same shared pieces
/// (``PeriodReturnSums``, ``PeriodReturnSpread``, ``DrawdownPass``) in two loops instead of
/// three, each keeping its sums in registers: the returns with their sums (the only call, `log`,
/// is made there), then the drawdowns with the returns' spread about their mean.
struct DailyEquityPass {
    /// The period returns' geometric mean, variance and downside mean.
    let returns: ReturnSummary
    /// The finished drawdown pass over every bar.
    let drawdown: DrawdownPass

    /// Nil unless every bar of `equity` is its own period and there are at least 2 bars.
    init?(timestamps: [Int64], equity: [Double], calendar: BarCalendar) {
        let n = equity.count
        guard n >= 2, calendar.binEnds.count == n, timestamps.count == n else { return nil }
        var sums = PeriodReturnSums()
        var returns: [Double] = []
        equity.withUnsafeBufferPointer { eq in
            // Every element is written below, so the array skips its zero fill.
            returns = [Double](unsafeUninitializedCapacity: n - 1) { out, written in
                var s = PeriodReturnSums()
                for k in 0..<(n - 1) {
                    let ratio = eq[k + 1] / eq[k]
                    let r = ratio - 1  // the period return v / prev - 1
                    out.initializeElement(at: k, to: r)
                    // ln(1 + r) is this bar's log return
                    s.add(r) { log(ratio) }
                }
                sums = s
                written = n - 1
            }
        }
        var spread = PeriodReturnSpread(mean: sums.mean)
        var pass = DrawdownPass(last: n - 1)
        equity.withUnsafeBufferPointer { eq in
            timestamps.withUnsafeBufferPointer { t in
                returns.withUnsafeBufferPointer { r in
                    guard let t = t.baseAddress else { return }
                    var p = pass
                    var s = spread
                    p.add(eq[0], at: 0, timestamps: t)
                    for k in r.indices {
                        p.add(eq[k + 1], at: k + 1, timestamps: t)
                        s.add(r[k])
                    }
                    pass = p.valid ? p : DrawdownPass.exact(equity: eq, timestamps: t)
                    spread = s
                }
            }
        }
        self.returns = ReturnSummary(sums: sums, spread: spread)
        drawdown = pass
    }
}

extension ReturnSummary {
    /// The summary of period returns from their sums and spread (without the per-bar log
    /// returns' sums, which only beta reads).
    init(sums: PeriodReturnSums, spread: PeriodReturnSpread) {
        geometricMean = sums.geometricMean
        variance = spread.variance(count: sums.count)
        downsideMean = spread.downsideMean(count: sums.count)
    }
}
