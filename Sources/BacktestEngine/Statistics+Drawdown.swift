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

    init(equity: [Double], timestamps t: [Int64], rounding: DurationRounding) {
        let n = equity.count
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
        equityPeak = peak
        maxDrawdown = maxDD
        if episodes == 0 {
            fallBackToRawDrawdowns(equity)
        } else {
            avgDrawdownPct = -(sumEpisodePeak / Double(episodes)) * 100
            maxDurationDays = rounding.days(maxEpisodeDuration)
            avgDurationDays = rounding.days(sumEpisodeDuration / Double(episodes))
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
