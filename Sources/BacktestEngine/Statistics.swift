import Foundation

/// The statistics backtesting.py reports for a run (SEMANTICS.md section 8), in its order.
/// Percentages are percent (5.0 = 5 %); durations are days; NaN where undefined.
public struct Statistics: Sendable, Equatable {
    public var start: Int64
    public var end: Int64
    public var durationDays: Double
    public var exposureTimePct: Double
    public var equityFinal: Double
    public var equityPeak: Double
    public var commissions: Double
    public var returnPct: Double
    public var buyHoldReturnPct: Double
    public var returnAnnPct: Double
    public var volatilityAnnPct: Double
    public var cagrPct: Double
    public var sharpeRatio: Double
    public var sortinoRatio: Double
    public var calmarRatio: Double
    public var alphaPct: Double
    public var beta: Double
    public var maxDrawdownPct: Double
    public var avgDrawdownPct: Double
    public var maxDrawdownDurationDays: Double
    public var avgDrawdownDurationDays: Double
    public var trades: Int
    public var winRatePct: Double
    public var bestTradePct: Double
    public var worstTradePct: Double
    public var avgTradePct: Double
    public var maxTradeDurationDays: Double
    public var avgTradeDurationDays: Double
    public var profitFactor: Double
    public var expectancyPct: Double
    public var sqn: Double
    public var kellyCriterion: Double
    /// Periods per year used to annualise (252, 365, 52, 12 or 1).
    public var periodsPerYear: Int
    /// The data period: median spacing of the last 100 timestamps, in seconds.
    public var dataPeriodSeconds: Double

    /// Statistics with every value NaN (0 trades), to be filled in field by field.
    public init() {
        start = 0
        end = 0
        durationDays = .nan
        exposureTimePct = .nan
        equityFinal = .nan
        equityPeak = .nan
        commissions = .nan
        returnPct = .nan
        buyHoldReturnPct = .nan
        returnAnnPct = .nan
        volatilityAnnPct = .nan
        cagrPct = .nan
        sharpeRatio = .nan
        sortinoRatio = .nan
        calmarRatio = .nan
        alphaPct = .nan
        beta = .nan
        maxDrawdownPct = .nan
        avgDrawdownPct = .nan
        maxDrawdownDurationDays = .nan
        avgDrawdownDurationDays = .nan
        trades = 0
        winRatePct = .nan
        bestTradePct = .nan
        worstTradePct = .nan
        avgTradePct = .nan
        maxTradeDurationDays = .nan
        avgTradeDurationDays = .nan
        profitFactor = .nan
        expectancyPct = .nan
        sqn = .nan
        kellyCriterion = .nan
        periodsPerYear = 0
        dataPeriodSeconds = .nan
    }

    init(
        start: Int64,
        end: Int64,
        durationDays: Double,
        exposureTimePct: Double,
        equityFinal: Double,
        equityPeak: Double,
        commissions: Double,
        returnPct: Double,
        buyHoldReturnPct: Double,
        returnAnnPct: Double,
        volatilityAnnPct: Double,
        cagrPct: Double,
        sharpeRatio: Double,
        sortinoRatio: Double,
        calmarRatio: Double,
        alphaPct: Double,
        beta: Double,
        maxDrawdownPct: Double,
        avgDrawdownPct: Double,
        maxDrawdownDurationDays: Double,
        avgDrawdownDurationDays: Double,
        trades: Int,
        winRatePct: Double,
        bestTradePct: Double,
        worstTradePct: Double,
        avgTradePct: Double,
        maxTradeDurationDays: Double,
        avgTradeDurationDays: Double,
        profitFactor: Double,
        expectancyPct: Double,
        sqn: Double,
        kellyCriterion: Double,
        periodsPerYear: Int,
        dataPeriodSeconds: Double
    ) {
        self.start = start
        self.end = end
        self.durationDays = durationDays
        self.exposureTimePct = exposureTimePct
        self.equityFinal = equityFinal
        self.equityPeak = equityPeak
        self.commissions = commissions
        self.returnPct = returnPct
        self.buyHoldReturnPct = buyHoldReturnPct
        self.returnAnnPct = returnAnnPct
        self.volatilityAnnPct = volatilityAnnPct
        self.cagrPct = cagrPct
        self.sharpeRatio = sharpeRatio
        self.sortinoRatio = sortinoRatio
        self.calmarRatio = calmarRatio
        self.alphaPct = alphaPct
        self.beta = beta
        self.maxDrawdownPct = maxDrawdownPct
        self.avgDrawdownPct = avgDrawdownPct
        self.maxDrawdownDurationDays = maxDrawdownDurationDays
        self.avgDrawdownDurationDays = avgDrawdownDurationDays
        self.trades = trades
        self.winRatePct = winRatePct
        self.bestTradePct = bestTradePct
        self.worstTradePct = worstTradePct
        self.avgTradePct = avgTradePct
        self.maxTradeDurationDays = maxTradeDurationDays
        self.avgTradeDurationDays = avgTradeDurationDays
        self.profitFactor = profitFactor
        self.expectancyPct = expectancyPct
        self.sqn = sqn
        self.kellyCriterion = kellyCriterion
        self.periodsPerYear = periodsPerYear
        self.dataPeriodSeconds = dataPeriodSeconds
    }
}

extension Statistics {
    /// Computes the statistics of a run from its equity curve and closed trades.
    public static func compute(bars: Bars, equity: [Double], trades: [TradeRecord], warmup: Int) -> Statistics {
        let n = bars.count
        let t = bars.timestamps
        let close = bars.close

        // Data period and its resolution.
        let period = bars.calendar.periodSeconds
        let resolution = resolutionSeconds(period)
        func ceilres(_ seconds: Double) -> Double {
            guard seconds.isFinite else { return .nan }
            return (seconds / resolution).rounded(.up) * resolution / 86_400
        }

        // Exposure: bars covered by at least one closed trade.
        var covered = 0
        if !trades.isEmpty {
            // The union of the trades' [entry, exit] bar spans, merged in order of entry.
            var spans: [(start: Int, end: Int)] = []
            spans.reserveCapacity(trades.count)
            var sorted = true
            for tr in trades where tr.exitBar >= tr.entryBar {
                if let last = spans.last, last.start > tr.entryBar { sorted = false }
                spans.append((tr.entryBar, tr.exitBar))
            }
            if !sorted { spans.sort { $0.start < $1.start } }
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
            covered += end - start + 1
        }
        let exposure = Double(covered) / Double(n) * 100

        // Drawdown and its episodes in one pass: an episode runs between consecutive bars of
        // Z = {bars with zero drawdown} + {last bar}, when they are not adjacent.
        var peak = -Double.infinity
        var maxDD = -Double.infinity
        var prevZero = -1
        var sinceZeroMax = -Double.infinity  // max drawdown after the last element of Z
        var episodes = 0
        var maxEpisodeDuration = -Double.infinity
        var sumEpisodeDuration = 0.0
        var sumEpisodePeak = 0.0
        equity.withUnsafeBufferPointer { eq in
            t.withUnsafeBufferPointer { t in
                for i in 0..<n {
                    let e = eq[i]
                    peak = max(peak, e)
                    let d = 1 - e / peak
                    if d > maxDD { maxDD = d }
                    if d == 0 || i == n - 1 {
                        if prevZero >= 0 && i > prevZero + 1 {
                            let dur = Double(t[i] - t[prevZero])
                            let pk = max(sinceZeroMax, d)
                            episodes += 1
                            maxEpisodeDuration = max(maxEpisodeDuration, dur)
                            sumEpisodeDuration += dur
                            sumEpisodePeak += pk
                        }
                        prevZero = i
                        sinceZeroMax = 0
                    } else if d > sinceZeroMax {
                        sinceZeroMax = d
                    }
                }
            }
        }
        let equityPeak = peak
        let maxDrawdown = maxDD.isNaN ? -0.0 : -maxDD  // -np.nan_to_num(dd.max())
        let avgDrawdown: Double
        let maxDDDuration: Double
        let avgDDDuration: Double
        if episodes == 0 {
            // backtesting.py falls back to the raw drawdown series (zeros as NaN) here.
            var nonZeroSum = 0.0
            var nonZeroCount = 0
            var nonZeroMax = -Double.infinity
            var runningPeak = -Double.infinity
            for e in equity {
                runningPeak = max(runningPeak, e)
                let d = 1 - e / runningPeak
                if d != 0 && !d.isNaN {
                    nonZeroSum += d
                    nonZeroCount += 1
                    nonZeroMax = max(nonZeroMax, d)
                }
            }
            let c = nonZeroCount
            avgDrawdown = c == 0 ? .nan : -(nonZeroSum / Double(c)) * 100
            maxDDDuration = c == 0 ? .nan : nonZeroMax
            avgDDDuration = c == 0 ? .nan : nonZeroSum / Double(c)
        } else {
            avgDrawdown = -(sumEpisodePeak / Double(episodes)) * 100
            maxDDDuration = ceilres(maxEpisodeDuration)
            avgDDDuration = ceilres(sumEpisodeDuration / Double(episodes))
        }

        // Returns.
        let e0 = equity[0]
        let eN = equity[n - 1]
        let returnPct = (eN - e0) / e0 * 100
        let cw = close[min(warmup, n - 1)]
        let buyHold = (close[n - 1] - cw) / cw * 100

        // One pass over the per-bar log returns of equity: their sum and their products with
        // the market's log-return deviations (beta's covariance). When every bar is its own
        // period (daily data, one bar a day), the period returns are the per-bar ones and are
        // accumulated in the same pass; otherwise they come from the calendar's bins below,
        // reusing the per-bar log returns for adjacent bins.
        let calendar = bars.calendar
        let periods = calendar.periodsPerYear
        let everyBarIsAPeriod = calendar.binEnds.count == n
        var el = [Double](repeating: 0, count: everyBarIsAPeriod ? 0 : max(0, n - 1))
        var returns = [Double](repeating: 0, count: everyBarIsAPeriod ? max(0, n - 1) : 0)
        var se = 0.0
        var cross = 0.0
        var periodSums = PeriodReturnSums()
        let market = bars.closeLogReturnMoments
        equity.withUnsafeBufferPointer { eq in
            market.deviations.withUnsafeBufferPointer { dm in
                guard n > 1, let eq = eq.baseAddress, let dm = dm.baseAddress else { return }
                if everyBarIsAPeriod {
                    returns.withUnsafeMutableBufferPointer { out in
                        guard let out = out.baseAddress else { return }
                        for k in 1..<n {
                            let er = eq[k] / eq[k - 1]
                            let e = er == 1 ? 0 : log(er)
                            se += e
                            cross += e * dm[k - 1]
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
                            se += e
                            cross += e * dm[k - 1]
                        }
                    }
                }
            }
        }

        // Period returns from the calendar's bins (precomputed with the data, see
        // `BarCalendar`): the last equity value of each bin, then simple returns between
        // consecutive bins.
        if !everyBarIsAPeriod {
            returns.reserveCapacity(calendar.binEnds.count)
            var prevValue = Double.nan
            var prevEnd = -1
            for end in calendar.binEnds {
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
        }
        // geometric mean over the defined period returns (NaN returns are dropped)
        let rCount = periodSums.count
        let gmean = periodSums.anyNonPositive || rCount == 0 ? 0 : exp(periodSums.logSum / Double(rCount)) - 1
        let D = Double(periods)
        let annualized = pow(1 + gmean, D) - 1
        var variance = Double.nan
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
        let volatilityPct = (pow(variance + (1 + gmean) * (1 + gmean), D) - pow(1 + gmean, 2 * D)).squareRoot() * 100
        let downsideMean = rCount == 0 ? Double.nan : downside / Double(rCount)
        let sortino = annualized / (downsideMean.squareRoot() * D.squareRoot())

        let durationSeconds = Double(t[n - 1] - t[0])
        let years = durationSeconds / 86_400 / 365.25
        let cagr = years != 0 ? (pow(eN / e0, 1 / years) - 1) * 100 : .nan
        let returnAnnPct = annualized * 100
        let sharpe = volatilityPct == 0 ? Double.nan : returnAnnPct / volatilityPct
        let calmar = maxDD == 0 || maxDD.isNaN ? Double.nan : annualized / maxDD

        // Beta from per-bar log returns.
        var beta = Double.nan
        if n > 2 && se.isFinite {
            // cov = sum((el - mean(el)) * dm) = sum(el * dm) - mean(el) * sum(dm), with
            // dm = market deviations (precomputed with the bars). An infinite log return
            // (equity 0 on the last bar) makes the covariance NaN, as in backtesting.py.
            let cnt = Double(n - 1)
            let cov = cross - se / cnt * market.deviationSum
            beta = (cov / (cnt - 1)) / (market.squaredDeviationSum / (cnt - 1))
        }
        let alpha = returnPct - beta * buyHold

        // Trade statistics.
        let nt = trades.count
        var winRate = Double.nan
        var best = Double.nan
        var worst = Double.nan
        var avgTrade = Double.nan
        var maxTradeDur = Double.nan
        var avgTradeDur = Double.nan
        var profitFactor = Double.nan
        var expectancy = Double.nan
        var sqn = Double.nan
        var kelly = Double.nan
        var commissions = 0.0
        for tr in trades { commissions += tr.commission }
        if nt > 0 {
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
            for tr in trades {
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
            let dn = Double(nt)
            let w = Double(wins) / dn
            winRate = w * 100
            best = bestR * 100
            worst = worstR * 100
            avgTrade = (nonPositive ? 0 : exp(logSum / dn) - 1) * 100
            maxTradeDur = ceilres(maxDur)
            avgTradeDur = ceilres(sumDur / dn)
            profitFactor = negR == 0 ? .nan : posR / abs(negR)
            expectancy = sumR / dn * 100
            let meanPL = sumPL / dn
            if nt > 1 {
                var s = 0.0
                for tr in trades { s += (tr.pnl - meanPL) * (tr.pnl - meanPL) }
                let sd = (s / (dn - 1)).squareRoot()
                sqn = sd == 0 ? .nan : dn.squareRoot() * meanPL / sd
            }
            let avgWin = nWin == 0 ? Double.nan : sumWinPL / Double(nWin)
            let avgLoss = nLoss == 0 ? Double.nan : sumLossPL / Double(nLoss)
            kelly = w - (1 - w) / (avgWin / -avgLoss)
        }

        return Statistics(
            start: t[0],
            end: t[n - 1],
            durationDays: durationSeconds / 86_400,
            exposureTimePct: exposure,
            equityFinal: eN,
            equityPeak: equityPeak,
            commissions: commissions,
            returnPct: returnPct,
            buyHoldReturnPct: buyHold,
            returnAnnPct: returnAnnPct,
            volatilityAnnPct: volatilityPct,
            cagrPct: cagr,
            sharpeRatio: sharpe,
            sortinoRatio: sortino,
            calmarRatio: calmar,
            alphaPct: alpha,
            beta: beta,
            maxDrawdownPct: maxDrawdown * 100,
            avgDrawdownPct: avgDrawdown,
            maxDrawdownDurationDays: maxDDDuration,
            avgDrawdownDurationDays: avgDDDuration,
            trades: nt,
            winRatePct: winRate,
            bestTradePct: best,
            worstTradePct: worst,
            avgTradePct: avgTrade,
            maxTradeDurationDays: maxTradeDur,
            avgTradeDurationDays: avgTradeDur,
            profitFactor: profitFactor,
            expectancyPct: expectancy,
            sqn: sqn,
            kellyCriterion: kelly,
            periodsPerYear: periods,
            dataPeriodSeconds: period
        )
    }

    /// Median spacing of the last 100 timestamps, in seconds.
    static func dataPeriod(_ t: [Int64]) -> Double {
        let tail = t.suffix(100)
        guard tail.count >= 2 else { return .nan }
        var diffs: [Int64] = []
        diffs.reserveCapacity(tail.count - 1)
        var prev = tail.first!
        for x in tail.dropFirst() {
            diffs.append(x - prev)
            prev = x
        }
        diffs.sort()
        let c = diffs.count
        return c % 2 == 1 ? Double(diffs[c / 2]) : (Double(diffs[c / 2 - 1]) + Double(diffs[c / 2])) / 2
    }

    /// The finest non-zero unit of a period (pandas' `Timedelta.resolution_string`), in seconds.
    static func resolutionSeconds(_ period: Double) -> Double {
        guard period.isFinite, period > 0 else { return 86_400 }
        for unit in [86_400.0, 3_600, 60, 1, 0.001, 0.000_001] where period.truncatingRemainder(dividingBy: unit) == 0 {
            return unit
        }
        return 0.000_000_001
    }

    /// Calendar facts of a series: its period, periods per year and the last bar of each
    /// resampling bin (SEMANTICS.md section 8, "period returns").
    static func calendar(_ t: [Int64]) -> BarCalendar {
        let n = t.count
        let period = dataPeriod(t)
        let freqDays = period.isFinite ? Int((period / 86_400).rounded(.down)) : 0
        var weekend = 0
        for ts in t {
            let wd = Timestamp.weekday(ts)
            if wd == 5 || wd == 6 { weekend += 1 }
        }
        let haveWeekends = n > 0 && Double(weekend) / Double(n) > 2.0 / 7.0 * 0.6
        let periods = freqDays == 7 ? 52 : freqDays == 31 ? 12 : freqDays == 365 ? 1 : (haveWeekends ? 365 : 252)
        let kind: BinKind = freqDays == 7 ? .week : freqDays == 31 ? .month : freqDays == 365 ? .year : .day
        var ends: [Int] = []
        ends.reserveCapacity(n)
        var lastKey = Int64.min
        for i in 0..<n {
            let key = kind.key(t[i])
            if key != lastKey && i > 0 { ends.append(i - 1) }
            lastKey = key
        }
        if n > 0 { ends.append(n - 1) }
        return BarCalendar(periodSeconds: period, periodsPerYear: periods, binEnds: ends)
    }

    enum BinKind {
        case day, week, month, year

        @inline(__always)
        func key(_ t: Int64) -> Int64 {
            let d = Timestamp.dayNumber(t)
            switch self {
            case .day: return d
            case .week:
                // weeks Monday..Sunday (pandas 'W' = 'W-SUN'); 1970-01-01 was a Thursday
                let x = d + 3
                return x >= 0 ? x / 7 : (x - 6) / 7
            case .month:
                let c = Timestamp.civil(days: d)
                return Int64(c.year * 12 + c.month)
            case .year:
                return Int64(Timestamp.civil(days: d).year)
            }
        }
    }
}

/// Sums over the defined (non-NaN) period returns: for their mean and geometric mean.
struct PeriodReturnSums {
    var sum = 0.0
    var count = 0
    /// Sum of ln(1 + r) over the returns with 1 + r > 0 and r != 0.
    var logSum = 0.0
    /// Some return has 1 + r <= 0, so the geometric mean is taken as 0.
    var anyNonPositive = false

    /// Adds return `r`; `logOnePlus` gives ln(1 + r) and is called only when it is needed.
    @inline(__always)
    mutating func add(_ r: Double, logOnePlus: () -> Double) {
        guard !r.isNaN else { return }
        sum += r
        count += 1
        if 1 + r <= 0 {
            anyNonPositive = true
        } else if r != 0 {
            logSum += logOnePlus()
        }
    }
}
