import BacktestEngine
import Testing

/// The documented example of a user-written strategy (see `Strategy`).
struct CloseAboveAverage: Strategy {
    var period = 50
    var average: [Double] = []

    mutating func setup(_ setup: inout StrategySetup) {
        average = setup.indicator(Indicators.sma(setup.bars.close, period))
    }

    mutating func next(_ context: inout StrategyContext) throws(BacktestError) {
        let close = context.bars.close
        if Indicators.crossover(close, average, at: context.index) {
            if context.position.isFlat { try context.buy() }
        } else if Indicators.crossover(average, close, at: context.index) {
            context.closePosition()
        }
    }
}

/// Places one scripted order on a given bar.
struct OneOrder: Strategy {
    var bar: Int
    var order: (inout StrategyContext) throws(BacktestError) -> Void
    mutating func setup(_ setup: inout StrategySetup) {}
    mutating func next(_ context: inout StrategyContext) throws(BacktestError) {
        if context.index == bar { try order(&context) }
    }
}

func days(_ rows: [(Double, Double, Double, Double)]) throws -> Bars {
    try Bars(
        timestamps: rows.indices.map { Int64($0) * 86_400 + 1_577_836_800 },
        open: rows.map(\.0),
        high: rows.map(\.1),
        low: rows.map(\.2),
        close: rows.map(\.3)
    )
}

@Suite("Strategies and orders")
struct StrategyTests {
    @Test func userStrategyRunsWithWarmup() throws {
        let bars = try Fixtures.bars("GOOG.csv")
        let result = try Backtest(bars: bars, settings: BacktestSettings(commission: Commission(relative: 0.001))).run(CloseAboveAverage())
        #expect(result.warmup == 49)
        #expect(result.trades.count > 10)
        #expect(result.trades.allSatisfy { $0.entryBar >= 50 && $0.size > 0 })
        #expect(result.statistics.buyHoldReturnPct == (bars.close.last! - bars.close[49]) / bars.close[49] * 100)
    }

    @Test func limitEntryFillsAtTheBetterOfOpenAndLimit() throws {
        let bars = try days([(10, 10, 10, 10), (10, 10, 10, 10), (10, 11, 9.5, 10), (9, 9.5, 8.5, 9), (9, 9, 9, 9)])
        let result = try Backtest(bars: bars, settings: BacktestSettings(finalizeTrades: true)).run(
            OneOrder(bar: 1) { (c: inout StrategyContext) throws(BacktestError) in try c.buy(size: 10, limit: 9.2) }
        )
        let trade = try #require(result.trades.first)
        #expect(trade.entryBar == 3)  // bar 2's low 9.5 does not reach 9.2
        #expect(trade.entryPrice == 9)  // opened below the limit: the better open
        #expect(trade.size == 10)
    }

    @Test func stopEntryTriggersOnTheHigh() throws {
        let bars = try days([(10, 10, 10, 10), (10, 10, 10, 10), (10, 10.5, 9.5, 10), (10.6, 12, 10.5, 11), (11, 11, 11, 11)])
        let result = try Backtest(bars: bars, settings: BacktestSettings(finalizeTrades: true)).run(
            OneOrder(bar: 1) { (c: inout StrategyContext) throws(BacktestError) in try c.buy(size: 5, stop: 10.8) }
        )
        let trade = try #require(result.trades.first)
        #expect(trade.entryBar == 3)
        #expect(trade.entryPrice == 10.8)  // max(open 10.6, stop 10.8)
    }

    @Test func stopLossGapFillsAtTheOpen() throws {
        let bars = try days([(10, 10, 10, 10), (10, 10, 10, 10), (10, 10.2, 9.9, 10), (8, 8.5, 7.5, 8), (8, 8, 8, 8)])
        let result = try Backtest(bars: bars).run(
            OneOrder(bar: 1) { (c: inout StrategyContext) throws(BacktestError) in try c.buy(size: 1, sl: 9) }
        )
        let trade = try #require(result.trades.first)
        #expect(trade.entryBar == 2)
        #expect(trade.exitBar == 3)
        #expect(trade.exitPrice == 8)  // gapped through the stop
        #expect(trade.sl == 9)
    }

    @Test func invalidBracketsAbortTheRun() throws {
        let bars = try days([(10, 10, 10, 10), (10, 10, 10, 10), (10, 10, 10, 10)])
        #expect(throws: BacktestError.self) {
            try Backtest(bars: bars).run(OneOrder(bar: 1) { (c: inout StrategyContext) throws(BacktestError) in try c.buy(sl: 11) })
        }
        #expect(throws: BacktestError.self) {
            try Backtest(bars: bars).run(OneOrder(bar: 1) { (c: inout StrategyContext) throws(BacktestError) in try c.buy(size: 1.5) })
        }
    }

    @Test func defaultSizeUsesTheFractionFactor() throws {
        // cash 11075 at 110.75 buys 99 units, not 100 (SEMANTICS.md 4.5)
        let bars = try days([(110.75, 110.75, 110.75, 110.75), (110.75, 110.75, 110.75, 110.75), (110.75, 110.75, 110.75, 110.75)])
        let result = try Backtest(bars: bars, settings: BacktestSettings(cash: 11_075, finalizeTrades: true)).run(BuyAndHold())
        #expect(result.trades.first?.size == 99)
    }

    @Test(arguments: [1, 3, 10, 30, 50])
    func vectorisedSMAIsBitIdenticalToLeftToRightSums(_ n: Int) {
        var rng = SystemRandomNumberGenerator()
        let x = (0..<203).map { _ in Double.random(in: 50...150, using: &rng) }
        let sma = Indicators.sma(x, n)
        for i in (n - 1)..<x.count {
            var s = x[i - n + 1]
            for k in (i - n + 2)..<(i + 1) { s += x[k] }
            #expect(sma[i] == s / Double(n), "i=\(i)")
        }
    }

    @Test func indicatorsMatchDefinitions() {
        let x: [Double] = [1, 2, 3, 4, 5, 6, 7, 8, 9, 10]
        let sma = Indicators.sma(x, 3)
        #expect(sma[0].isNaN && sma[1].isNaN)
        #expect(sma[2] == 2 && sma[9] == 9)
        let ema = Indicators.ema(x, 3)
        #expect(ema[2] == 2)
        #expect(ema[3] == 0.5 * 4 + 0.5 * 2)
        let rsi = Indicators.rsi(x, 3)
        #expect(rsi[2].isNaN && rsi[3] == 100)
        let flat = Indicators.rsi([1, 1, 1, 1, 1], 2)
        #expect(flat[2] == 50)
        let bands = Indicators.bollinger([1, 3, 1, 3], 2, 2)
        #expect(bands.upper[1] == 4 && bands.lower[1] == 0)
        let ch = Indicators.donchian(high: [1, 5, 3, 2], low: [0, 2, 1, 1], 2)
        #expect(ch.upper[2] == 5 && ch.lower[2] == 0 && ch.upper[3] == 5 && ch.lower[3] == 1)
        #expect(Indicators.crossover([1, 3], [2, 2], at: 1))
        #expect(!Indicators.crossover([2, 3], [2, 2], at: 1))
        #expect(!Indicators.crossover([.nan, 3], [2, 2], at: 1))
    }
}

@Suite("Statistics edge cases")
struct StatisticsEdgeTests {
    @Test func drawdownOnlyOnTheLastBarUsesTheLibraryFallback() throws {
        let bars = try days([(10, 10, 10, 10), (10, 10, 10, 10), (10, 10, 10, 10), (10, 10, 10, 10)])
        let s = Statistics.compute(bars: bars, equity: [100, 101, 102, 101], trades: [], warmup: 0)
        let dd = 1 - 101.0 / 102.0
        #expect(s.maxDrawdownPct == -dd * 100)
        #expect(s.avgDrawdownPct == -dd * 100)
        #expect(s.maxDrawdownDurationDays == dd)  // backtesting.py's raw-fraction quirk
    }

    @Test func episodesSpanPeakToRecovery() throws {
        let bars = try days(Array(repeating: (10, 10, 10, 10), count: 6))
        let s = Statistics.compute(bars: bars, equity: [100, 90, 95, 100, 80, 120], trades: [], warmup: 0)
        #expect(abs(s.maxDrawdownPct + 20) < 1e-12)
        #expect(abs(s.avgDrawdownPct + 15) < 1e-12)  // peaks 10 % and 20 %
        #expect(s.maxDrawdownDurationDays == 3)
        #expect(s.avgDrawdownDurationDays == 3)  // mean(3 days, 2 days) = 2.5, rounded up
        #expect(s.trades == 0 && s.winRatePct.isNaN && s.sqn.isNaN)
    }

    @Test func equityZeroOnTheLastBarMakesBetaNaN() throws {
        // The last per-bar log return is -inf; numpy's covariance of it is NaN (not +-inf).
        let bars = try days([(10, 10, 10, 10), (10, 11, 10, 11), (11, 12, 11, 12), (12, 12, 11, 11.5), (11, 12, 10, 12)])
        let s = Statistics.compute(bars: bars, equity: [100, 110, 120, 115, 0], trades: [], warmup: 0)
        #expect(s.beta.isNaN)
        #expect(s.alphaPct.isNaN)
        let flat = Statistics.compute(bars: bars, equity: [100, 110, 120, 115, 120], trades: [], warmup: 0)
        #expect(flat.beta.isFinite)
        // Random series too: whatever the rounding residue of the market's deviations, NaN.
        for seed in UInt64(1)...40 {
            let closes = randomWalk(60, seed: seed)
            let walk = try Bars(
                timestamps: (0..<60).map { Int64($0) * 86_400 },
                open: closes,
                high: closes.map { $0 * 1.01 },
                low: closes.map { $0 * 0.99 },
                close: closes
            )
            let equity = randomWalk(59, seed: seed + 100, start: 10_000) + [0]
            let stats = Statistics.compute(bars: walk, equity: equity, trades: [], warmup: 0)
            #expect(stats.beta.isNaN, "seed \(seed): beta \(stats.beta)")
        }
    }
}

@Suite("indicators for reports")
struct IndicatorPlotTests {
    @Test("each built-in strategy names its indicators and their panels")
    func plots() throws {
        let bars = try Fixtures.bars("GOOG.csv")
        func plots(_ name: String, _ params: [String: ParameterValue] = [:]) throws -> [IndicatorPlot] {
            try Backtest(bars: bars).run(try StrategyCatalog.make(name: name, params: params)).indicators
        }
        #expect(try plots("sma_cross").map(\.name) == ["SMA(10)", "SMA(30)"])
        #expect(try plots("sma_cross").allSatisfy { $0.panel == IndicatorPlot.pricePanel && $0.values.count == bars.count })
        let rsi = try plots("rsi_reversion")
        #expect(rsi.map(\.panel) == ["RSI"] && rsi.first?.levels == [30, 70])
        let macd = try plots("macd_cross")
        #expect(macd.map(\.panel) == ["MACD", "MACD", "MACD"] && macd.last?.style == .histogram)
        #expect(try plots("bollinger").count == 3)
        #expect(try plots("donchian").map(\.name) == ["Donchian upper(20)", "Donchian lower(10)"])
        #expect(try plots("buy_and_hold").isEmpty)
    }
}
