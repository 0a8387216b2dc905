/// A bootstrap of a strategy's trade returns: how much of its result is the order and the
/// luck of its trades.
///
/// The procedure, exactly (the reference script in `Tools/robustness` repeats it bit for bit):
/// one ``SplitMix64`` generator seeded with `seed`; for each of `samples` resamples in turn,
/// n draws (n the number of trades), each an index `i` drawn without modulo bias (a 64-bit
/// draw below 2⁶⁴ mod n is rejected and the next one taken; `i` is the draw mod n); the
/// equity starts at 1 and is multiplied by (1 + r[i]) at each draw; the resample's
/// compounded return is the final equity − 1 and its maximum drawdown the largest
/// 1 − equity / (highest equity so far, the starting 1 included). The summaries are the
/// 5th, 50th and 95th percentiles of the resamples, by linear interpolation between order
/// statistics (numpy's default: position p/100 · (samples − 1)).
public struct TradeBootstrap: Sendable, Equatable, Codable {
    /// The 5th, 50th and 95th percentiles of a resampled quantity.
    public struct Percentiles: Sendable, Equatable, Codable {
        /// 5th percentile.
        public var p5: Double
        /// Median.
        public var p50: Double
        /// 95th percentile.
        public var p95: Double
    }

    /// The default number of resamples.
    public static let defaultSamples = 1000
    /// The default seed.
    public static let defaultSeed: UInt64 = 42

    /// Resamples drawn.
    public var samples: Int
    /// The generator's seed.
    public var seed: UInt64
    /// Trades resampled (the length of every resample).
    public var trades: Int
    /// Percentiles of the compounded return (0.25 = +25 %).
    public var totalReturn: Percentiles
    /// Percentiles of the maximum drawdown (0.25 = 25 % below the peak).
    public var maxDrawdown: Percentiles

    private enum CodingKeys: String, CodingKey {
        case samples, seed, trades
        case totalReturn = "total_return"
        case maxDrawdown = "max_drawdown"
    }

    /// Bootstraps `tradeReturns` (simple returns, 0.05 = +5 %).
    ///
    /// - Throws: `invalid_trades` when there are no trades, a return is not finite, or
    ///   `samples` is below 1.
    public init(tradeReturns: [Double], samples: Int = defaultSamples, seed: UInt64 = defaultSeed) throws(ResearchError) {
        guard !tradeReturns.isEmpty else { throw ResearchError(code: .invalidTrades, message: "no trades to bootstrap") }
        guard samples >= 1 else { throw ResearchError(code: .invalidTrades, message: "samples must be at least 1, not \(samples)") }
        if let bad = tradeReturns.firstIndex(where: { !$0.isFinite }) {
            throw ResearchError(code: .invalidTrades, message: "trade \(bad + 1)'s return is \(tradeReturns[bad]), not a finite number")
        }
        var generator = SplitMix64(seed: seed)
        var totals = [Double]()
        var drawdowns = [Double]()
        totals.reserveCapacity(samples)
        drawdowns.reserveCapacity(samples)
        for _ in 0..<samples {
            var equity = 1.0
            var peak = 1.0
            var drawdown = 0.0
            for _ in 0..<tradeReturns.count {
                equity *= 1 + tradeReturns[generator.nextIndex(below: tradeReturns.count)]
                peak = max(peak, equity)
                drawdown = max(drawdown, 1 - equity / peak)
            }
            totals.append(equity - 1)
            drawdowns.append(drawdown)
        }
        self.samples = samples
        self.seed = seed
        self.trades = tradeReturns.count
        totalReturn = Self.percentiles(of: totals)
        maxDrawdown = Self.percentiles(of: drawdowns)
    }

    private static func percentiles(of values: [Double]) -> Percentiles {
        let sorted = values.sorted()
        return Percentiles(p5: percentile(sorted, 5), p50: percentile(sorted, 50), p95: percentile(sorted, 95))
    }

    /// Linear interpolation between the order statistics around p/100 · (n − 1).
    private static func percentile(_ sorted: [Double], _ p: Double) -> Double {
        let position = p / 100 * Double(sorted.count - 1)
        let lower = Int(position.rounded(.down))
        let upper = min(lower + 1, sorted.count - 1)
        let fraction = position - Double(lower)
        return sorted[lower] + (sorted[upper] - sorted[lower]) * fraction
    }
}
