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
}

extension Statistics {
    /// Computes the statistics of a run from its equity curve and closed trades.
    ///
    /// The work is done in named steps, each in its own file: ``DrawdownSummary`` (peak,
    /// drawdowns and their episodes), ``ReturnSummary`` (period returns, annualised return,
    /// volatility, Sharpe, Sortino, CAGR and the covariance for beta) and ``TradeSummary``
    /// (the trade statistics). Portfolios use the first two through
    /// ``equityStatistics(timestamps:equity:calendar:)``.
    ///
    /// With `scope` ``StatisticsScope/trades`` the equity curve's statistics are left NaN
    /// (the others are the same values).
    public static func compute(bars: Bars, equity: [Double], trades: [TradeRecord], warmup: Int, scope: StatisticsScope = .all) -> Statistics {
        let n = bars.count
        let close = bars.close
        let rounding = DurationRounding(periodSeconds: bars.calendar.periodSeconds)
        var stats =
            scope == .trades
            ? Statistics()
            : equityStatistics(
                timestamps: bars.timestamps,
                equity: equity,
                calendar: bars.calendar,
                market: bars.closeLogReturnMoments,
                rounding: rounding
            )

        stats.exposureTimePct = Double(TradeSummary.coveredBars(trades)) / Double(n) * 100
        let cw = close[min(warmup, n - 1)]
        stats.buyHoldReturnPct = (close[n - 1] - cw) / cw * 100
        stats.alphaPct = stats.returnPct - stats.beta * stats.buyHoldReturnPct

        let summary = TradeSummary(trades, rounding: rounding)
        stats.commissions = summary.commissions
        stats.trades = trades.count
        stats.winRatePct = summary.winRatePct
        stats.bestTradePct = summary.bestTradePct
        stats.worstTradePct = summary.worstTradePct
        stats.avgTradePct = summary.avgTradePct
        stats.maxTradeDurationDays = summary.maxTradeDurationDays
        stats.avgTradeDurationDays = summary.avgTradeDurationDays
        stats.profitFactor = summary.profitFactor
        stats.expectancyPct = summary.expectancyPct
        stats.sqn = summary.sqn
        stats.kellyCriterion = summary.kellyCriterion
        return stats
    }

    /// The statistics that depend on the equity curve alone (SEMANTICS.md section 8): start,
    /// end, duration, final and peak equity, return, annualised return and volatility, CAGR,
    /// Sharpe, Sortino, Calmar and the drawdowns. Every other field is NaN (`trades` 0,
    /// `commissions` NaN): the caller fills what its model defines.
    ///
    /// ```swift
    /// let stats = Statistics.equityStatistics(
    ///     timestamps: dates, equity: equity, calendar: Statistics.calendar(dates))
    /// ```
    public static func equityStatistics(timestamps: [Int64], equity: [Double], calendar: BarCalendar) -> Statistics {
        let rounding = DurationRounding(periodSeconds: calendar.periodSeconds)
        // Daily curves (every bar its own period) take the two-loop pass; it gives the same values.
        if let daily = DailyEquityPass(timestamps: timestamps, equity: equity, calendar: calendar) {
            return equityStatistics(
                timestamps: timestamps,
                equity: equity,
                calendar: calendar,
                returns: daily.returns,
                drawdown: daily.drawdown,
                market: nil,
                rounding: rounding
            )
        }
        return equityStatistics(timestamps: timestamps, equity: equity, calendar: calendar, market: nil, rounding: rounding)
    }

    /// The equity-curve statistics, and beta when `market` (the close log returns' moments of
    /// the same bars) is given.
    static func equityStatistics(
        timestamps t: [Int64],
        equity: [Double],
        calendar: BarCalendar,
        market: LogReturnMoments?,
        rounding: DurationRounding
    ) -> Statistics {
        var pass = DrawdownPass(last: equity.count - 1)
        let returns = ReturnSummary(equity: equity, calendar: calendar, market: market, timestamps: t, drawdown: &pass)
        return equityStatistics(
            timestamps: t,
            equity: equity,
            calendar: calendar,
            returns: returns,
            drawdown: pass,
            market: market,
            rounding: rounding
        )
    }

    /// The equity-curve statistics from the curve's return summary and finished drawdown pass.
    static func equityStatistics(
        timestamps t: [Int64],
        equity: [Double],
        calendar: BarCalendar,
        returns: ReturnSummary,
        drawdown pass: DrawdownPass,
        market: LogReturnMoments?,
        rounding: DurationRounding
    ) -> Statistics {
        let n = equity.count
        let drawdown = DrawdownSummary(pass, equity: equity, rounding: rounding)

        let e0 = equity[0]
        let eN = equity[n - 1]
        let D = Double(calendar.periodsPerYear)
        let annualized = pow(1 + returns.geometricMean, D) - 1
        let volatilityPct = returns.annualVolatilityPct(periodsPerYear: D)
        let sortino = annualized / (returns.downsideMean.squareRoot() * D.squareRoot())
        let durationSeconds = Double(t[n - 1] - t[0])
        let years = durationSeconds / 86_400 / 365.25
        let returnAnnPct = annualized * 100
        let maxDD = drawdown.maxDrawdown

        var stats = Statistics()
        stats.start = t[0]
        stats.end = t[n - 1]
        stats.durationDays = durationSeconds / 86_400
        stats.equityFinal = eN
        stats.equityPeak = drawdown.equityPeak
        stats.returnPct = (eN - e0) / e0 * 100
        stats.returnAnnPct = returnAnnPct
        stats.volatilityAnnPct = volatilityPct
        stats.cagrPct = years != 0 ? (pow(eN / e0, 1 / years) - 1) * 100 : .nan
        stats.sharpeRatio = volatilityPct == 0 ? Double.nan : returnAnnPct / volatilityPct
        stats.sortinoRatio = sortino
        stats.calmarRatio = maxDD == 0 || maxDD.isNaN ? Double.nan : annualized / maxDD
        stats.maxDrawdownPct = (maxDD.isNaN ? -0.0 : -maxDD) * 100  // -np.nan_to_num(dd.max())
        stats.avgDrawdownPct = drawdown.avgDrawdownPct
        stats.maxDrawdownDurationDays = drawdown.maxDurationDays
        stats.avgDrawdownDurationDays = drawdown.avgDurationDays
        if let market { stats.beta = returns.beta(market: market, bars: n) }
        stats.periodsPerYear = calendar.periodsPerYear
        stats.dataPeriodSeconds = calendar.periodSeconds
        return stats
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
        // Insertion sort of at most 99 values: the standard library's `sort()` allocates its
        // run stack through a by-name metadata lookup, whose first use in a process scans all
        // of the binary's protocol conformance records (2 % of a `backtest run --csv`).
        for i in diffs.indices.dropFirst() {
            let value = diffs[i]
            var j = i
            while j > 0, diffs[j - 1] > value {
                diffs[j] = diffs[j - 1]
                j -= 1
            }
            diffs[j] = value
        }
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

    /// Adds return `r` whose ln(1 + r) is known: `logOnePlus`, exactly 0 when `r` is 0 (as
    /// the log of a ratio of exactly 1 is taken), so it is added without a branch on `r`:
    /// adding +0 leaves the sum as it is (it starts at +0 and is never -0).
    @inline(__always)
    mutating func add(_ r: Double, logOnePlus e: Double) {
        guard !r.isNaN else { return }
        sum += r
        count += 1
        if 1 + r <= 0 {
            anyNonPositive = true
        } else {
            logSum += e
        }
    }

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

    /// The mean of the defined returns (0 without any).
    var mean: Double { sum / Double(max(count, 1)) }

    /// The geometric mean of the defined returns: 0 when some `1 + r <= 0` or there is none.
    var geometricMean: Double { anyNonPositive || count == 0 ? 0 : exp(logSum / Double(count)) - 1 }
}

/// Sums over the defined period returns' deviations from their mean: for their sample
/// variance and downside mean (the second pass over the returns, once the mean is known).
struct PeriodReturnSpread {
    /// The mean of the returns (``PeriodReturnSums/mean``).
    let mean: Double
    /// Sum of `(r - mean)²`.
    var squares = 0.0
    /// Sum of `r²` over the negative returns.
    var downside = 0.0

    init(mean: Double) {
        self.mean = mean
    }

    /// Adds return `r` (NaN returns are left out).
    @inline(__always)
    mutating func add(_ r: Double) {
        guard !r.isNaN else { return }
        squares += (r - mean) * (r - mean)
        // Adding +0 leaves the sum (never -0) as it is: no branch on the sign.
        downside += r < 0 ? r * r : 0
    }

    /// The sample variance (ddof 1) of `count` returns; NaN with fewer than two.
    func variance(count: Int) -> Double {
        count > 1 ? squares / Double(count - 1) : .nan
    }

    /// The mean of the squared negative returns over all `count` of them; NaN without any.
    func downsideMean(count: Int) -> Double {
        count == 0 ? .nan : downside / Double(count)
    }
}
