/// The decision bars of a portfolio run and, for fixed weights or a weights schedule, the
/// weights each one sets (PORTFOLIO.md section 4).
struct DecisionPlan: Sendable {
    /// The decision bars, ascending.
    let bars: [Int]
    /// The fixed weights, or each scheduled bar's weights, in ticker order.
    private let fixed: [Double]
    private let scheduled: [Int: [Double]]

    init(settings: PortfolioSettings, tickers: [String], dates: [Int64]) throws(BacktestError) {
        let index = Dictionary(uniqueKeysWithValues: tickers.enumerated().map { ($1, $0) })
        func vector(_ weights: [String: Double]) -> [Double] {
            var out = [Double](repeating: 0, count: tickers.count)
            for (ticker, w) in weights { if let i = index[ticker] { out[i] = w } }
            return out
        }
        switch settings.allocation {
        case .weights(let entries):
            // Each entry goes to the first bar on or after its date; on a shared bar the
            // latest date wins; entries after the last bar are dropped.
            var best: [Int: WeightEntry] = [:]
            for entry in entries {
                guard let b = Self.firstBar(onOrAfter: entry.date, in: dates) else { continue }
                if let other = best[b], other.date > entry.date { continue }
                best[b] = entry
            }
            bars = best.keys.sorted()
            scheduled = best.mapValues { vector($0.weights) }
            fixed = []
        default:
            guard let schedule = settings.schedule else {
                throw BacktestError(code: .missingField, message: "schedule: this allocation needs a rebalancing schedule", field: "schedule")
            }
            bars = schedule.decisionBars(dates)
            scheduled = [:]
            if case .fixed(let weights) = settings.allocation { fixed = vector(weights) } else { fixed = [] }
        }
    }

    /// A plan from its parts.
    private init(bars: [Int], fixed: [Double], scheduled: [Int: [Double]]) {
        self.bars = bars
        self.fixed = fixed
        self.scheduled = scheduled
    }

    /// The same plan `offset` bars later: a plan made on a window's dates, placed on a
    /// calendar where the window starts at bar `offset`.
    func shifted(by offset: Int) -> DecisionPlan {
        DecisionPlan(
            bars: bars.map { $0 + offset },
            fixed: fixed,
            scheduled: Dictionary(uniqueKeysWithValues: scheduled.map { ($0.key + offset, $0.value) })
        )
    }

    /// The weights a fixed allocation or a schedule entry sets on decision bar `b`.
    func weights(at b: Int) -> [Double] {
        // Without a schedule, no lookup (it would hash `b` on every decision).
        scheduled.isEmpty ? fixed : scheduled[b] ?? fixed
    }

    private static func firstBar(onOrAfter t: Int64, in dates: [Int64]) -> Int? {
        var lo = 0
        var hi = dates.count
        while lo < hi {
            let mid = (lo + hi) / 2
            if dates[mid] < t { lo = mid + 1 } else { hi = mid }
        }
        return lo < dates.count ? lo : nil
    }
}
