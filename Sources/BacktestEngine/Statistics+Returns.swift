import Foundation

/// The period returns of an equity curve and their moments (SEMANTICS.md section 8,
/// "period returns"), with the sums beta needs when the market's returns are given.
///
/// One pass over the per-bar log returns of equity gives their sum and their products with
/// the market's log-return deviations (beta's covariance). When every bar is its own period
/// (daily data, one bar a day), the period returns are the per-bar ones and are accumulated
/// in the same pass; otherwise they come from the calendar's bins, reusing the per-bar log
/// returns for adjacent bins.
struct ReturnSummary {
    /// The geometric mean of the defined period returns (0 when some `1 + r <= 0`).
    var geometricMean = 0.0
    /// The sample variance (ddof 1) of the period returns; NaN with fewer than two.
    var variance = Double.nan
    /// The mean of the squared negative period returns over all of them.
    var downsideMean = Double.nan
    /// The sum of the per-bar log returns of equity.
    private var logReturnSum = 0.0
    /// The sum of the per-bar log returns of equity times the market's deviations.
    private var cross = 0.0

    /// One pass over `equity`, which also advances `drawdown` over every bar (the two
    /// summaries share the loop); `timestamps` are the bars' (for the drawdown durations).
    init(
        equity: [Double],
        calendar: BarCalendar,
        market: LogReturnMoments?,
        timestamps: [Int64],
        drawdown: inout DrawdownPass
    ) {
        let n = equity.count
        let everyBarIsAPeriod = calendar.binEnds.count == n
        // The per-bar ratios and their logs first, in a loop of their own: `log` is the only
        // call, so the sums of the second loop stay in registers across it.
        var ratios: [Double] = []
        var el: [Double] = []
        Self.ratiosAndLogs(equity, ratios: &ratios, logs: &el)
        var periodSums = PeriodReturnSums()
        let deviations = market?.deviations ?? []
        equity.withUnsafeBufferPointer { eq in
            deviations.withUnsafeBufferPointer { dm in
                timestamps.withUnsafeBufferPointer { t in
                    ratios.withUnsafeMutableBufferPointer { ratios in
                        el.withUnsafeBufferPointer { el in
                            guard let t = t.baseAddress, !eq.isEmpty else { return }
                            drawdown.add(eq[0], at: 0, timestamps: t)
                            // The market's deviations, one per bar return (none without a market:
                            // an empty array's buffer still has an address, which must not be read).
                            let dm = dm.count >= el.count && !dm.isEmpty ? dm.baseAddress : nil
                            for k in el.indices {
                                drawdown.add(eq[k + 1], at: k + 1, timestamps: t)
                                let e = el[k]
                                logReturnSum += e
                                if let dm { cross += e * dm[k] }
                                if everyBarIsAPeriod {
                                    let r = ratios[k] - 1  // the period return v / prev - 1
                                    ratios[k] = r
                                    // ln(1 + r) is this bar's log return (when e is infinite,
                                    // so is ln(1 + r))
                                    periodSums.add(r, logOnePlus: e)
                                }
                            }
                            if !drawdown.valid { drawdown = DrawdownPass.exact(equity: eq, timestamps: t) }
                        }
                    }
                }
            }
        }
        let returns =
            everyBarIsAPeriod
            ? ratios : Self.binReturns(equity: equity, binEnds: calendar.binEnds, barLogReturns: el, into: &periodSums)
        summarize(returns, periodSums)
    }

    /// `ratios[k - 1] = equity[k] / equity[k - 1]` and `logs[k - 1]` its log (0 for a ratio
    /// of 1) for `k = 1..<count`.
    private static func ratiosAndLogs(_ equity: [Double], ratios: inout [Double], logs: inout [Double]) {
        let count = max(0, equity.count - 1)
        equity.withUnsafeBufferPointer { eq in
            // Every element is written below, so the arrays skip their zero fill.
            ratios = [Double](unsafeUninitializedCapacity: count) { ratios, ratiosCount in
                logs = [Double](unsafeUninitializedCapacity: count) { logs, logsCount in
                    for k in 0..<count {
                        let er = eq[k + 1] / eq[k]
                        ratios.initializeElement(at: k, to: er)
                        logs.initializeElement(at: k, to: er == 1 ? 0 : log(er))
                    }
                    logsCount = count
                }
                ratiosCount = count
            }
        }
    }

    /// Period returns from the calendar's bins (precomputed with the data, see `BarCalendar`):
    /// the last equity value of each bin, then simple returns between consecutive bins.
    private static func binReturns(
        equity: [Double],
        binEnds: [Int],
        barLogReturns el: [Double],
        into periodSums: inout PeriodReturnSums
    ) -> [Double] {
        var returns: [Double] = []
        returns.reserveCapacity(binEnds.count)
        var prevValue = Double.nan
        var prevEnd = -1
        for end in binEnds {
            let v = equity[end]
            if prevEnd >= 0 {
                let r = v / prevValue - 1
                returns.append(r)
                // ln(1 + r); for adjacent bars that is the per-bar log return already
                // computed (equal to within an ulp, far inside the 1e-9 tolerance)
                periodSums.add(r) { end == prevEnd + 1 && el[prevEnd].isFinite ? el[prevEnd] : log(1 + r) }
            }
            prevValue = v
            prevEnd = end
        }
        return returns
    }

    /// The geometric mean over the defined period returns (NaN returns are dropped), the
    /// variance and the downside mean.
    private mutating func summarize(_ returns: [Double], _ periodSums: PeriodReturnSums) {
        var spread = PeriodReturnSpread(mean: periodSums.mean)
        returns.withUnsafeBufferPointer { returns in
            for r in returns { spread.add(r) }
        }
        geometricMean = periodSums.geometricMean
        variance = spread.variance(count: periodSums.count)
        downsideMean = spread.downsideMean(count: periodSums.count)
    }

    /// The annualised volatility in percent, backtesting.py's formula over `D` periods a year.
    func annualVolatilityPct(periodsPerYear D: Double) -> Double {
        let g = geometricMean
        return (pow(variance + (1 + g) * (1 + g), D) - pow(1 + g, 2 * D)).squareRoot() * 100
    }

    /// Beta from per-bar log returns against the market's, over `bars` bars.
    func beta(market: LogReturnMoments, bars n: Int) -> Double {
        guard n > 2 && logReturnSum.isFinite else { return .nan }
        // cov = sum((el - mean(el)) * dm) = sum(el * dm) - mean(el) * sum(dm), with
        // dm = market deviations (precomputed with the bars). An infinite log return
        // (equity 0 on the last bar) makes the covariance NaN, as in backtesting.py.
        let cnt = Double(n - 1)
        let cov = cross - logReturnSum / cnt * market.deviationSum
        return (cov / (cnt - 1)) / (market.squaredDeviationSum / (cnt - 1))
    }
}
