/// Target weights on a decision bar (PORTFOLIO.md section 4), from data up to that bar only.
struct TargetWeights {
    let bars: [Bars]
    let calendar: PortfolioCalendar

    /// The target weight of every ticker for a decision at the close of calendar bar `t`
    /// (`fixed`, `equal`, `momentum`, `inverse_volatility`; a `weights` schedule's entries and
    /// fixed weights come from `plan`). Equal weights the same as `previous` (the last
    /// decision's) are `previous` itself, sharing its storage.
    func weights(_ allocation: PortfolioAllocation, plan: DecisionPlan, at t: Int, previous: [Double]?) -> [Double] {
        switch allocation {
        case .weights, .fixed: return plan.weights(at: t)
        case .equal: return equal(at: t, previous: previous)
        case .momentum(let lookback, let top): return momentum(lookback: lookback, top: top, at: t)
        case .inverseVolatility(let lookback): return inverseVolatility(lookback: lookback, at: t)
        }
    }

    /// `1.0 / |E|` to each ticker with a bar on `t` (`previous` when it holds the same).
    private func equal(at t: Int, previous: [Double]?) -> [Double] {
        let own = calendar.own
        var count = 0
        for i in own.indices where own[i][t] >= 0 { count += 1 }
        let w = count > 0 ? 1.0 / Double(count) : 0
        if let previous, previous.count == own.count, own.indices.allSatisfy({ previous[$0] == (own[$0][t] >= 0 ? w : 0) }) {
            return previous
        }
        return own.map { $0[t] >= 0 ? w : 0 }
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
