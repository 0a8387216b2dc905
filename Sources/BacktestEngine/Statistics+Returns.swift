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

    init(equity: [Double], calendar: BarCalendar, market: LogReturnMoments?) {
        let n = equity.count
        let everyBarIsAPeriod = calendar.binEnds.count == n
        var el = [Double](repeating: 0, count: everyBarIsAPeriod ? 0 : max(0, n - 1))
        var returns = [Double](repeating: 0, count: everyBarIsAPeriod ? max(0, n - 1) : 0)
        var periodSums = PeriodReturnSums()
        let deviations = market?.deviations ?? []
        equity.withUnsafeBufferPointer { eq in
            deviations.withUnsafeBufferPointer { dm in
                guard n > 1, let eq = eq.baseAddress else { return }
                let dm = dm.baseAddress
                if everyBarIsAPeriod {
                    returns.withUnsafeMutableBufferPointer { out in
                        guard let out = out.baseAddress else { return }
                        for k in 1..<n {
                            let er = eq[k] / eq[k - 1]
                            let e = er == 1 ? 0 : log(er)
                            logReturnSum += e
                            if let dm { cross += e * dm[k - 1] }
                            let r = er - 1  // the period return v / prev - 1
                            out[k - 1] = r
                            // ln(1 + r) is this bar's log return (when e is infinite, so is
                            // ln(1 + r))
                            periodSums.add(r) { e }
                        }
                    }
                } else {
                    el.withUnsafeMutableBufferPointer { out in
                        guard let out = out.baseAddress else { return }
                        for k in 1..<n {
                            let er = eq[k] / eq[k - 1]
                            let e = er == 1 ? 0 : log(er)
                            out[k - 1] = e
                            logReturnSum += e
                            if let dm { cross += e * dm[k - 1] }
                        }
                    }
                }
            }
        }
        if !everyBarIsAPeriod {
            returns = Self.binReturns(equity: equity, binEnds: calendar.binEnds, barLogReturns: el, into: &periodSums)
        }
        summarize(returns, periodSums)
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
        let rCount = periodSums.count
        geometricMean = periodSums.anyNonPositive || rCount == 0 ? 0 : exp(periodSums.logSum / Double(rCount)) - 1
        var downside = 0.0
        let mean = periodSums.sum / Double(max(rCount, 1))
        var squares = 0.0
        returns.withUnsafeBufferPointer { returns in
            for r in returns where !r.isNaN {
                squares += (r - mean) * (r - mean)
                if r < 0 { downside += r * r }
            }
        }
        if rCount > 1 { variance = squares / Double(rCount - 1) }
        downsideMean = rCount == 0 ? Double.nan : downside / Double(rCount)
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
