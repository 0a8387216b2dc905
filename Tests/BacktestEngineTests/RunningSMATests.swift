import BacktestEngine
import Testing

/// A random walk of positive prices.
func randomWalk(_ count: Int, seed: UInt64, start: Double = 100) -> [Double] {
    var rng = SplitMix64(seed: seed)
    var price = start
    return (0..<count).map { _ in
        price *= 1 + Double.random(in: -0.03...0.03, using: &rng)
        return price
    }
}

/// The order of two exact SMA arrays: 1, -1, or 0 for equal or NaN.
func exactOrder(_ a: [Double], _ b: [Double]) -> [Int8] {
    zip(a, b).map { x, y in x > y ? 1 : x < y ? -1 : 0 }
}

/// The sma_cross rules on exact left-to-right SMAs: what `SMACross` must reproduce.
struct ExactSMACross: Strategy {
    var fast: Int, slow: Int
    var fastMA: [Double] = [], slowMA: [Double] = []
    mutating func setup(_ setup: inout StrategySetup) {
        fastMA = setup.indicator(Indicators.sma(setup.bars.close, fast))
        slowMA = setup.indicator(Indicators.sma(setup.bars.close, slow))
    }
    mutating func next(_ context: inout StrategyContext) throws(BacktestError) {
        let i = context.index
        if Indicators.crossover(fastMA, slowMA, at: i) {
            if context.position.isFlat { try context.buy() }
        } else if Indicators.crossover(slowMA, fastMA, at: i) {
            context.closePosition()
        }
    }
}

@Suite("Running SMA")
struct RunningSMATests {
    @Test(arguments: [1, 2, 10, 30, 200], [5, 15, 17, 300, 2148, 2300, 5000])
    func valuesStayWithinTheBoundOfTheExactSMA(window: Int, count: Int) {
        let x = randomWalk(count, seed: UInt64(window * 10_000 + count))
        let running = RunningSMA(x, window)
        let exact = Indicators.sma(x, window)
        #expect(running.values.count == exact.count)
        #expect(running.errorBound > 0 || count < window)
        var worst = 0.0
        for i in exact.indices {
            #expect(running.values[i].isNaN == exact[i].isNaN, "NaN pattern differs at \(i)")
            if !exact[i].isNaN {
                worst = max(worst, abs(running.values[i] - exact[i]))
                #expect(running.exact(at: i) == exact[i], "exact(at:) differs at \(i)")
            }
        }
        #expect(worst <= running.errorBound, "worst \(worst) > bound \(running.errorBound)")
    }

    @Test(arguments: [(2, 5), (10, 30), (5, 200), (50, 51)])
    func orderMatchesTheExactSMAs(fast: Int, slow: Int) {
        for seed in UInt64(1)...20 {
            let x = randomWalk(2_500, seed: seed)
            let order = Indicators.order(RunningSMA(x, fast), RunningSMA(x, slow))
            #expect(order == exactOrder(Indicators.sma(x, fast), Indicators.sma(x, slow)), "seed \(seed)")
        }
    }

    @Test func tiesAndNearTiesAreDecidedByTheExactValues() {
        // A cycle of 0.1, 0.2, 0.3 makes SMA(3) and SMA(6) equal in exact arithmetic; in
        // floating point they tie or differ by an ulp, far inside the running bound, so every
        // bar goes to the exact fallback.
        let x = (0..<3_000).map { [0.1, 0.2, 0.3][$0 % 3] + 100 }
        let a = RunningSMA(x, 3)
        let b = RunningSMA(x, 6)
        let order = Indicators.order(a, b)
        #expect(order == exactOrder(Indicators.sma(x, 3), Indicators.sma(x, 6)))
        // The running values alone would decide some bars wrongly: the fallback is needed.
        let naive = exactOrder(a.values, b.values)
        #expect(naive != order)

        let flat = [Double](repeating: 42.5, count: 500)
        let flatOrder = Indicators.order(RunningSMA(flat, 5), RunningSMA(flat, 20))
        #expect(flatOrder.allSatisfy { $0 == 0 })
    }

    @Test func nonFiniteValuesUseTheExactSMA() {
        var x = randomWalk(100, seed: 7)
        x[40] = .nan
        x[70] = .infinity
        let running = RunningSMA(x, 5)
        #expect(running.errorBound == 0)
        let exact = Indicators.sma(x, 5)
        for i in x.indices {
            #expect(running.values[i] == exact[i] || (running.values[i].isNaN && exact[i].isNaN), "i=\(i)")
        }
    }

    @Test func hugeAndTinyValuesUseTheExactSMA() {
        // A running sum of 1e308s overflows and would stay infinite past the window; values
        // near the subnormal range no longer round relatively. Both take the exact path.
        let huge = [1e308, 1e308] + [Double](repeating: 1, count: 40)
        let hugeOrder = Indicators.order(RunningSMA(huge, 2), RunningSMA(huge, 3))
        #expect(hugeOrder == exactOrder(Indicators.sma(huge, 2), Indicators.sma(huge, 3)))
        #expect(RunningSMA(huge, 2).errorBound == 0)
        let tiny = randomWalk(300, seed: 3, start: 1e-305)
        #expect(RunningSMA(tiny, 5).errorBound == 0)
        #expect(Indicators.order(RunningSMA(tiny, 5), RunningSMA(tiny, 20)) == exactOrder(Indicators.sma(tiny, 5), Indicators.sma(tiny, 20)))
    }

    @Test func tooShortSeriesIsAllNaN() {
        let running = RunningSMA([1, 2, 3], 5)
        #expect(running.values.count == 3 && running.values.allSatisfy(\.isNaN))
        #expect(Indicators.order(running, RunningSMA([1, 2, 3], 2)) == [0, 0, 0])
    }

    @Test(arguments: UInt64(1)...12)
    func smaCrossTradesExactlyAsTheExactSMAStrategy(seed: UInt64) throws {
        let closes = randomWalk(1_500, seed: seed)
        let timestamps = (0..<closes.count).map { Int64($0) * 86_400 + 1_600_000_000 }
        let bars = try Bars(
            timestamps: timestamps,
            open: closes,
            high: closes.map { $0 * 1.01 },
            low: closes.map { $0 * 0.99 },
            close: closes
        )
        let backtest = Backtest(bars: bars, settings: BacktestSettings(cash: 10_000, commission: Commission(relative: 0.002)))
        for (fast, slow) in [(5, 20), (10, 30), (3, 100)] {
            let running = try backtest.run(SMACross(fast: fast, slow: slow))
            let exact = try backtest.run(ExactSMACross(fast: fast, slow: slow))
            #expect(running.trades == exact.trades, "seed \(seed) \(fast)/\(slow)")
            #expect(running.equity == exact.equity)
            #expect(running.warmup == exact.warmup)
            #expect(running.trades.count > 3)
        }
    }
}
