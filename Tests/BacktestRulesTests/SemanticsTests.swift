import BacktestEngine
import Testing

@testable import BacktestRules

/// A hand-written strategy doing what docs/rules.md says a program does, for comparison:
/// the actions in source order, each seeing the position the earlier ones leave.
struct HandWritten: Strategy {
    var rsi: [Double] = []
    var fast: [Double] = []
    var slow: [Double] = []
    var size = 0.5
    var sl = 0.02
    var tp = 0.04

    mutating func setup(_ setup: inout StrategySetup) {
        rsi = setup.indicator(Indicators.rsi(setup.bars.close, 14))
        fast = setup.indicator(Indicators.ema(setup.bars.close, 5))
        slow = setup.indicator(Indicators.ema(setup.bars.close, 20))
    }

    mutating func next(_ context: inout StrategyContext) throws(BacktestError) {
        let i = context.index
        let c = context.bars.close[i]
        var side = context.position.size.signum()
        func buy(_ context: inout StrategyContext) throws(BacktestError) {
            try context.buy(size: size, sl: c * (1 - sl), tp: c * (1 + tp))
        }
        func sell(_ context: inout StrategyContext) throws(BacktestError) {
            try context.sell(size: size, sl: c * (1 + sl), tp: c * (1 - tp))
        }
        if rsi[i] < 30 && side == 0 {  // enter long when r < 30
            try buy(&context)
            side = 1
        }
        if rsi[i] > 70 && side == 0 {  // enter short when r > 70
            try sell(&context)
            side = -1
        }
        let cross = Indicators.crossover(fast, slow, at: i) || Indicators.crossover(slow, fast, at: i)
        if cross && side != 0 {  // reverse when crossover(...) or crossunder(...)
            context.closePosition()
            if side > 0 { try sell(&context) } else { try buy(&context) }
            side = -side
        }
        if rsi[i] > 60 && side > 0 {  // exit long when r > 60
            context.closePosition()
            side = 0
        }
        if rsi[i] < 40 && side < 0 {  // exit short when r < 40
            context.closePosition()
        }
    }
}

@Suite("Semantics")
struct SemanticsTests {
    static let program = """
        size 50%
        stop_loss 2%
        take_profit 4%
        let r = rsi(close, 14)
        let f = ema(close, 5)
        let s = ema(close, 20)
        enter long when r < 30
        enter short when r > 70
        reverse when crossover(f, s) or crossunder(f, s)
        exit long when r > 60
        exit short when r < 40
        """

    @Test func actionsRunAsAHandWrittenStrategy() throws {
        let program = try compile(Self.program)
        for settings in [BacktestSettings(), BacktestSettings(commission: Commission(relative: 0.001), hedging: true)] {
            for bars in [TestData.goog, TestData.eurusd] {
                let expected = try Backtest(bars: bars, settings: settings).run(HandWritten())
                let actual = try Backtest(bars: bars, settings: settings).run(try program.strategy())
                #expect(expected.trades.count > 20)
                #expect(expected.trades.contains { $0.size < 0 } && expected.trades.contains { $0.size > 0 })
                expectIdentical(actual, expected, "hand-written \(bars.count) bars")
            }
        }
    }

    /// The engine's own documented example strategy (exact SMA, crossover on the close).
    @Test func closeAboveAverage() throws {
        struct CloseAboveAverage: Strategy {
            var average: [Double] = []
            mutating func setup(_ setup: inout StrategySetup) {
                average = setup.indicator(Indicators.sma(setup.bars.close, 50))
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
        let program = try compile("enter long when crossover(close, sma(close, 50))\nexit long when crossunder(close, sma(close, 50))")
        let settings = BacktestSettings(commission: Commission(relative: 0.001))
        let expected = try Backtest(bars: TestData.goog, settings: settings).run(CloseAboveAverage())
        let actual = try Backtest(bars: TestData.goog, settings: settings).run(try program.strategy())
        #expect(actual.warmup == 49)
        expectIdentical(actual, expected, "close above average")
    }

    /// Conditions over whole series: NaN compares false (also `!=`), history reads NaN
    /// (or false) before the data, crossover is backtesting.py's.
    @Test func conditionsOverTheBars() throws {
        let bars = try Bars(
            timestamps: (0..<6).map { Int64($0) * 86_400 },
            open: [10, 11, 12, 11, 10, 12],
            high: [11, 12, 13, 12, 11, 13],
            low: [9, 10, 11, 10, 9, 11],
            close: [10, 12, 11, 10, 12, 13]
        )
        func flags(_ condition: String) throws -> [Bool] {
            let program = try compile("exit when \(condition)")
            let plan = try program.strategy().plan
            var setup = try StrategySetupProbe.make(bars)
            var evaluator = RulesEvaluator(plan: plan, bars: bars)
            evaluator.run(&setup)
            let mask = evaluator.masks()
            return mask.map { $0 & 1 == 1 }
        }
        #expect(try flags("close > close[1]") == [false, true, false, false, true, true])
        #expect(try flags("close[1] != close") == [false, true, true, true, true, true])
        #expect(try flags("not (close[2] > 0)") == [true, true, false, false, false, false])
        #expect(try flags("(close > open)[1]") == [false, false, true, false, false, true])
        #expect(try flags("crossover(close, 11)") == [false, true, false, false, true, false])
        #expect(try flags("crossunder(close, 11)") == [false, false, false, false, false, false])  // strict: 11 -> 10 is no cross
        #expect(try flags("crossunder(close, 11.5)") == [false, false, true, false, false, false])
        #expect(try flags("close / 0 * 0 == close / 0 * 0") == [false, false, false, false, false, false])
        #expect(try flags("sma(close, 2) >= sma(close, 3)") == [false, false, true, false, true, true])
        #expect(try flags("sma(close, 2) == sma(close, 2)") == [false, true, true, true, true, true])
        #expect(try flags("crossover(sma(close, 1), sma(close, 3))") == [false, false, false, false, true, false])
        #expect(try flags("crossover(sma(close, 2), sma(close, 3))") == [false, false, false, false, false, false])
        #expect(try flags("change(close) > 0 and roc(close, 2) > 0") == [false, false, false, false, true, true])
        #expect(
            try flags("sma(close - open, 2) > sma(close - open, 2)[1] and sma(close * 2, 2) > close") == [false, false, false, false, true, true]
        )
        #expect(try flags("true") == [true, true, true, true, true, true])
        #expect(try flags("false or close > 100") == [false, false, false, false, false, false])
    }

    @Test func indicatorDefinitions() {
        var rng = SplitMix64(seed: 7)
        var x = (0..<300).map { _ in Double.random(in: 50...150, using: &rng) }
        x[40] = .nan
        let n = 9
        let sma = Indicators.sma(x, n)
        func window(_ i: Int) -> ArraySlice<Double> { x[(i - n + 1)...i] }
        let wma = RulesMath.wma(x, n)
        let sd = RulesMath.stdev(x, n)
        let hi = RulesMath.extreme(x, n, largest: true)
        let lo = RulesMath.extreme(x, n, largest: false)
        for i in 0..<x.count {
            guard i >= n - 1 else {
                #expect(wma[i].isNaN && sd[i].isNaN && hi[i].isNaN && lo[i].isNaN)
                continue
            }
            let w = window(i)
            if w.contains(where: \.isNaN) {
                #expect(wma[i].isNaN && sd[i].isNaN && hi[i].isNaN && lo[i].isNaN, "bar \(i)")
                continue
            }
            let weighted = w.enumerated().reduce(0.0) { $0 + Double($1.offset + 1) * $1.element } / Double(n * (n + 1) / 2)
            #expect(abs(wma[i] - weighted) <= 1e-12 * weighted)
            let m = w.reduce(0, +) / Double(n)
            let variance = w.reduce(0.0) { $0 + ($1 - m) * ($1 - m) } / Double(n - 1)
            #expect(abs(sd[i] - variance.squareRoot()) <= 1e-12 * max(1, sd[i]))
            #expect(abs(sma[i] - m) <= 1e-12 * m)
            #expect(hi[i] == w.max() && lo[i] == w.min())
        }
        #expect(RulesMath.stdev(x, 1).allSatisfy { $0.isNaN })
        let bars = TestData.goog
        for length in [1, 5, 20, 55] {
            let engine = Indicators.donchian(high: bars.high, low: bars.low, length)
            let ours = RulesMath.donchian(high: bars.high, low: bars.low, length)
            #expect(zip(engine.upper, ours.upper).allSatisfy { sameBits($0, $1) })
            #expect(zip(engine.lower, ours.lower).allSatisfy { sameBits($0, $1) })
        }
        let atr = RulesMath.atr(high: bars.high, low: bars.low, close: bars.close, 14)
        var tr = [Double](repeating: .nan, count: bars.count)
        for i in 1..<bars.count {
            tr[i] = max(bars.high[i] - bars.low[i], abs(bars.high[i] - bars.close[i - 1]), abs(bars.low[i] - bars.close[i - 1]))
        }
        #expect(atr[13].isNaN && atr[14] == tr[1...14].reduce(0, +) / 14)
        #expect(atr[15] == (atr[14] * 13 + tr[15]) / 14)
        let rsiOfSMA = RulesMath.rsi(Indicators.sma(bars.close, 10), 14)
        #expect(rsiOfSMA[22].isNaN && !rsiOfSMA[23].isNaN, "an indicator of an indicator starts where its source does")
    }

    /// Reports: overlays on the price panel, oscillators in their own, levels from the
    /// constants they are compared with.
    @Test func reportPanels() throws {
        let program = try compile(
            """
            let r = rsi(close, 14)
            enter long when r < 25 and close > ema(close, 50) and atr(14) > 1 and sma(volume, 20) > 0
            exit long when crossover(r, 75)
            """
        )
        let result = try Backtest(bars: TestData.goog).run(try program.strategy())
        let plots = result.indicators.map { "\($0.name)|\($0.panel)|\($0.levels)" }
        #expect(plots == ["RSI(14)|RSI|[25.0, 75.0]", "EMA(50)|price|[]", "ATR(14)|ATR|[1.0]", "SMA(volume, 20)|Volume|[0.0]"])
        #expect(result.warmup == 49)
    }
}

/// Makes a `StrategySetup` (its initialiser is internal to the engine) by running a
/// strategy that hands it out.
enum StrategySetupProbe {
    struct Probe: Strategy {
        var box: Box
        final class Box: @unchecked Sendable { var setup: StrategySetup? }
        mutating func setup(_ setup: inout StrategySetup) { box.setup = setup }
        mutating func next(_ context: inout StrategyContext) throws(BacktestError) {}
    }

    static func make(_ bars: Bars) throws -> StrategySetup {
        let box = Probe.Box()
        _ = try Backtest(bars: bars).run(Probe(box: box))
        return try #require(box.setup)
    }
}
