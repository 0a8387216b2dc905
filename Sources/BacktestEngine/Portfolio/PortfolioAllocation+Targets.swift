/// Target weights on a decision bar (PORTFOLIO.md section 4), from data up to that bar only.
struct TargetWeights {
    let bars: [Bars]
    let calendar: PortfolioCalendar

    /// The target weight of every ticker for a decision at the close of calendar bar `t`
    /// (`fixed`, `equal`, `momentum`, `inverse_volatility`; a `weights` schedule's entries are
    /// resolved by the caller).
    func weights(_ allocation: PortfolioAllocation, fixed: [Double], at t: Int) -> [Double] {
        switch allocation {
        case .weights, .fixed: return fixed
        case .equal: return equal(at: t)
        case .momentum(let lookback, let top): return momentum(lookback: lookback, top: top, at: t)
        case .inverseVolatility(let lookback): return inverseVolatility(lookback: lookback, at: t)
        }
    }

    /// `1.0 / |E|` to each ticker with a bar on `t`.
    private func equal(at t: Int) -> [Double] {
        var count = 0
        for own in calendar.own where own[t] >= 0 { count += 1 }
        guard count > 0 else { return Array(repeating: 0, count: bars.count) }
        let w = 1.0 / Double(count)
        return calendar.own.map { $0[t] >= 0 ? w : 0 }
    }

    /// The top `top` tickers by `lookback`-bar return, `1.0 / m` each; equal scores go by
    /// ticker order.
    private func momentum(lookback n: Int, top: Int, at t: Int) -> [Double] {
        var scored: [(ticker: Int, score: Double)] = []
        for (i, own) in calendar.own.enumerated() {
            let k = Int(own[t])
            guard k >= n else { continue }
            let close = bars[i].close
            scored.append((i, close[k] / close[k - n] - 1))
        }
        var out = [Double](repeating: 0, count: bars.count)
        guard !scored.isEmpty else { return out }
        // Descending score, ties by ticker order (a strict total order, so any sort is stable here).
        scored.sort { $0.score != $1.score ? $0.score > $1.score : $0.ticker < $1.ticker }
        let m = min(top, scored.count)
        let w = 1.0 / Double(m)
        for pick in scored.prefix(m) { out[pick.ticker] = w }
        return out
    }

    /// `1 / σ` normalised, σ the sample standard deviation (ddof 1, two-pass) of the last
    /// `lookback` own-bar returns; a ticker with σ = 0 is not eligible.
    private func inverseVolatility(lookback n: Int, at t: Int) -> [Double] {
        var out = [Double](repeating: 0, count: bars.count)
        var total = 0.0
        var any = false
        for (i, own) in calendar.own.enumerated() {
            let k = Int(own[t])
            guard k >= n else { continue }
            let c = bars[i].close
            var sum = 0.0
            for j in (k - n + 1)...k { sum += c[j] / c[j - 1] - 1 }
            let mean = sum / Double(n)
            var ss = 0.0
            for j in (k - n + 1)...k {
                let r = c[j] / c[j - 1] - 1
                ss += (r - mean) * (r - mean)
            }
            let sigma = (ss / Double(n - 1)).squareRoot()
            guard sigma != 0 else { continue }
            out[i] = 1 / sigma
            total += out[i]
            any = true
        }
        guard any else { return out }
        for i in out.indices where out[i] != 0 { out[i] = out[i] / total }
        return out
    }
}
