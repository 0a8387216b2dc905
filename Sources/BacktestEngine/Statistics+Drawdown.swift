/// Rounds durations up to the data's resolution and expresses them in days (pandas'
/// `Timedelta.ceil(resolution)`, SEMANTICS.md section 8).
struct DurationRounding: Sendable {
    /// The finest non-zero unit of the data period, in seconds.
    let resolution: Double

    init(periodSeconds: Double) {
        resolution = Statistics.resolutionSeconds(periodSeconds)
    }

    /// `seconds` rounded up to the resolution, in days; NaN when not finite.
    @inline(__always)
    func days(_ seconds: Double) -> Double {
        guard seconds.isFinite else { return .nan }
        return (seconds / resolution).rounded(.up) * resolution / 86_400
    }
}

/// The peak, drawdowns and drawdown episodes of an equity curve, in one pass.
///
/// An episode runs between consecutive bars of Z = {bars with zero drawdown} + {last bar},
/// when they are not adjacent (backtesting.py's `_compute_drawdown_duration_peaks`).
struct DrawdownSummary {
    /// The highest equity.
    var equityPeak = -Double.infinity
    /// The largest drawdown as a fraction (positive), `-inf` for an empty curve, NaN when
    /// some drawdown was NaN.
    var maxDrawdown = -Double.infinity
    /// The mean of the episodes' peak drawdowns, in percent (negative).
    var avgDrawdownPct = Double.nan
    /// The longest episode, in days.
    var maxDurationDays = Double.nan
    /// The mean episode length, in days.
    var avgDurationDays = Double.nan

    /// The summary from a finished pass over `equity` (``DrawdownPass/add(_:at:timestamps:)``
    /// called on every bar, in order).
    init(_ pass: DrawdownPass, equity: [Double], rounding: DurationRounding) {
        equityPeak = pass.peak
        maxDrawdown = pass.maxDD
        if pass.episodes == 0 {
            fallBackToRawDrawdowns(equity)
        } else {
            avgDrawdownPct = -(pass.sumEpisodePeak / Double(pass.episodes)) * 100
            maxDurationDays = rounding.days(pass.maxEpisodeDuration)
            avgDurationDays = rounding.days(pass.sumEpisodeDuration / Double(pass.episodes))
        }
    }

    /// Without an episode backtesting.py falls back to the raw drawdown series (zeros as NaN).
    private mutating func fallBackToRawDrawdowns(_ equity: [Double]) {
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
        avgDrawdownPct = c == 0 ? .nan : -(nonZeroSum / Double(c)) * 100
        maxDurationDays = c == 0 ? .nan : nonZeroMax
        avgDurationDays = c == 0 ? .nan : nonZeroSum / Double(c)
    }
}

/// The running state of ``DrawdownSummary``'s pass, advanced one bar at a time so that the
/// return pass can carry it along (one loop over the equity for both).
///
/// Without a division per bar: between two bars of Z the peak does not change and every
/// drawdown `1 - e / peak` is positive, and rounding is monotonic, so the largest drawdown of
/// an episode is the one of its lowest equity, computed once when the episode ends; the
/// largest drawdown of the curve is the largest of those, 0 (bars of Z) and the last bar's.
/// That holds for positive finite equity; a curve with another value (0 after a
/// bankruptcy) is summarised again bar by bar with ``exact(equity:timestamps:)``.
struct DrawdownPass {
    /// The last bar's index.
    let last: Int
    var peak = -Double.infinity
    var maxDD = -Double.infinity
    var prevZero = -1
    /// The lowest equity after the last element of Z.
    var low = Double.infinity
    var episodes = 0
    var maxEpisodeDuration = -Double.infinity
    var sumEpisodeDuration = 0.0
    var sumEpisodePeak = 0.0
    /// Every equity so far was positive and finite (the shortcut above holds).
    var valid = true

    init(last: Int) {
        self.last = last
    }

    /// Adds bar `i`'s equity `e` (bars in order from 0).
    @inline(__always)
    mutating func add(_ e: Double, at i: Int, timestamps t: UnsafePointer<Int64>) {
        valid = valid && e > 0 && e < .infinity
        if e >= peak {
            // A new peak or the peak again: no drawdown (1 - e / e == 0).
            zero(at: i, drawdown: 0, timestamps: t)
            peak = e
            return
        }
        if e < low { low = e }
        if i == last { zero(at: i, drawdown: 1 - e / peak, timestamps: t) }
    }

    /// A bar of Z (no drawdown, or the last bar, with drawdown `d`): closes the episode since
    /// the previous one, if there are bars between them.
    @inline(__always)
    private mutating func zero(at i: Int, drawdown d: Double, timestamps t: UnsafePointer<Int64>) {
        if prevZero >= 0 && i > prevZero + 1 {
            let dur = Double(t[i] - t[prevZero])
            // The episode's bars are all below the peak, its deepest is its lowest equity's;
            // the original takes max(0 and the drawdowns before bar i, d).
            let pk = max(max(0, 1 - low / peak), d)
            episodes += 1
            maxEpisodeDuration = max(maxEpisodeDuration, dur)
            sumEpisodeDuration += dur
            sumEpisodePeak += pk
            if pk > maxDD { maxDD = pk }
        }
        if d > maxDD { maxDD = d }
        prevZero = i
        low = .infinity
    }

    /// The pass bar by bar, with a drawdown computed on every bar: for curves with a value
    /// that is not positive and finite.
    static func exact(equity: UnsafeBufferPointer<Double>, timestamps t: UnsafePointer<Int64>) -> DrawdownPass {
        var pass = DrawdownPass(last: equity.count - 1)
        var sinceZeroMax = -Double.infinity  // max drawdown after the last element of Z
        for i in equity.indices {
            let e = equity[i]
            pass.peak = max(pass.peak, e)
            let d = 1 - e / pass.peak
            if d > pass.maxDD { pass.maxDD = d }
            if d == 0 || i == pass.last {
                if pass.prevZero >= 0 && i > pass.prevZero + 1 {
                    let dur = Double(t[i] - t[pass.prevZero])
                    let pk = max(sinceZeroMax, d)
                    pass.episodes += 1
                    pass.maxEpisodeDuration = max(pass.maxEpisodeDuration, dur)
                    pass.sumEpisodeDuration += dur
                    pass.sumEpisodePeak += pk
                }
                pass.prevZero = i
                sinceZeroMax = 0
            } else if d > sinceZeroMax {
                sinceZeroMax = d
            }
        }
        return pass
    }
}
