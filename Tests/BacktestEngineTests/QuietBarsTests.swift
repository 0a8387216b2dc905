import Testing

@testable import BacktestEngine

/// Runs `base` with `next` on every bar (the default `nextDecisionBar`), so the run takes the
/// broker step on each bar: what the skipping of quiet bars must reproduce.
struct EveryBar<Base: Strategy>: Strategy {
    var base: Base
    mutating func setup(_ setup: inout StrategySetup) { base.setup(&setup) }
    mutating func next(_ context: inout StrategyContext) throws(BacktestError) { try base.next(&context) }
}

/// macd_cross on `Indicators.ema` arrays and `Indicators.crossover`, as before the fused
/// indicator and the order series: what `MACDCross` must reproduce.
struct ExactMACDCross: Strategy {
    var fast: Int, slow: Int, signal: Int, allowShort: Bool, brackets: Brackets
    var line: [Double] = [], signalLine: [Double] = []
    mutating func setup(_ setup: inout StrategySetup) {
        let f = Indicators.ema(setup.bars.close, fast)
        let s = Indicators.ema(setup.bars.close, slow)
        line = setup.indicator(zip(f, s).map { $0 - $1 })
        signalLine = setup.indicator(Indicators.ema(line, signal))
    }
    mutating func next(_ context: inout StrategyContext) throws(BacktestError) {
        let i = context.index
        if Indicators.crossover(line, signalLine, at: i) {
            if allowShort {
                context.closePosition()
                try brackets.buy(&context)
            } else if context.position.isFlat {
                try brackets.buy(&context)
            }
        } else if Indicators.crossover(signalLine, line, at: i) {
            context.closePosition()
            if allowShort { try brackets.sell(&context) }
        }
    }
}

/// Random hourly bars: opens gap from the previous close, highs and lows around both.
func randomBars(_ count: Int, seed: UInt64) throws -> Bars {
    var rng = SplitMix64(seed: seed)
    var close = 1.1
    var rows: (t: [Int64], o: [Double], h: [Double], l: [Double], c: [Double]) = ([], [], [], [], [])
    for k in 0..<count {
        let open = close * (1 + Double.random(in: -0.001...0.001, using: &rng))
        close = open * (1 + Double.random(in: -0.004...0.004, using: &rng))
        rows.t.append(1_500_000_000 + Int64(k) * 3_600)
        rows.o.append(open)
        rows.h.append(max(open, close) * (1 + Double.random(in: 0...0.003, using: &rng)))
        rows.l.append(min(open, close) * (1 - Double.random(in: 0...0.003, using: &rng)))
        rows.c.append(close)
    }
    return try Bars(timestamps: rows.t, open: rows.o, high: rows.h, low: rows.l, close: rows.c)
}

/// Every field of two results the same, bit for bit (statistics by their printed form, which
/// is exact and tells NaN and -0 apart).
func expectIdentical(_ a: BacktestResult, _ b: BacktestResult, _ note: String) {
    #expect(a.trades == b.trades, "\(note): trades")
    #expect(a.openTrades == b.openTrades, "\(note): open trades")
    #expect(a.equity.map(\.bitPattern) == b.equity.map(\.bitPattern), "\(note): equity")
    #expect("\(a.statistics)" == "\(b.statistics)", "\(note): statistics")
    #expect(a.cancelledOrders == b.cancelledOrders, "\(note): cancelled orders")
    #expect(a.warmup == b.warmup, "\(note): warm-up")
}

@Suite("Quiet bars and decision bars")
struct QuietBarsTests {
    static let settings: [(String, BacktestSettings)] = [
        ("defaults", BacktestSettings()),
        ("commission", BacktestSettings(commission: Commission(fixed: 0.5, relative: 0.002))),
        ("spread", BacktestSettings(spread: 0.0005)),
        ("margin", BacktestSettings(margin: 0.2)),
        ("trade on close", BacktestSettings(tradeOnClose: true)),
        ("hedging", BacktestSettings(hedging: true)),
        ("exclusive", BacktestSettings(exclusiveOrders: true)),
        ("finalize", BacktestSettings(finalizeTrades: true)),
    ]

    @Test(arguments: UInt64(1)...6)
    func skippingQuietBarsChangesNothing(seed: UInt64) throws {
        let bars = try randomBars(3_000, seed: seed)
        let brackets = Brackets(slPct: 0.004, tpPct: 0.008)
        for (name, settings) in Self.settings {
            let backtest = Backtest(bars: bars, settings: settings)
            let cases: [(String, BuiltinStrategy)] = [
                ("sma_cross", .smaCross(SMACross(fast: 10, slow: 30))),
                ("sma_cross SL/TP", .smaCross(SMACross(fast: 5, slow: 20, brackets: brackets))),
                ("sma_cross_reverse SL/TP", .smaCrossReverse(SMACrossReverse(fast: 5, slow: 20, brackets: brackets))),
                ("macd_cross long/short SL/TP", .macdCross(MACDCross(fast: 12, slow: 26, signal: 9, allowShort: true, brackets: brackets))),
                ("macd_cross long", .macdCross(MACDCross(fast: 12, slow: 26, signal: 9))),
            ]
            for (label, strategy) in cases {
                let skipping = try backtest.run(strategy)
                let everyBar: BacktestResult
                switch strategy {
                case .smaCross(let s): everyBar = try backtest.run(EveryBar(base: s))
                case .smaCrossReverse(let s): everyBar = try backtest.run(EveryBar(base: s))
                case .macdCross(let s): everyBar = try backtest.run(EveryBar(base: s))
                default: continue
                }
                expectIdentical(skipping, everyBar, "seed \(seed) \(name) \(label)")
                #expect(skipping.trades.count > 5, "seed \(seed) \(name) \(label) trades")
            }
        }
    }

    @Test(arguments: UInt64(1)...6)
    func macdCrossTradesExactlyAsTheEMAStrategy(seed: UInt64) throws {
        let bars = try randomBars(2_000, seed: seed)
        let brackets = Brackets(slPct: 0.003, tpPct: 0.006)
        for allowShort in [false, true] {
            let backtest = Backtest(bars: bars, settings: BacktestSettings(commission: Commission(relative: 0.0002)))
            let fused = try backtest.run(MACDCross(fast: 12, slow: 26, signal: 9, allowShort: allowShort, brackets: brackets))
            let exact = try backtest.run(
                ExactMACDCross(fast: 12, slow: 26, signal: 9, allowShort: allowShort, brackets: brackets)
            )
            expectIdentical(fused, exact, "seed \(seed) allowShort \(allowShort)")
        }
    }

    @Test func fusedMACDEqualsItsThreeAverages() {
        var series: [[Double]] = (UInt64(1)...5).map { randomWalk(700, seed: $0) }
        series.append([.nan, .nan, .nan] + randomWalk(200, seed: 9))  // leading NaN
        series.append(randomWalk(20, seed: 10))  // shorter than the slow window
        series.append([])
        series.append([.nan, .nan])
        var withInner = randomWalk(300, seed: 11)
        withInner[150] = .nan  // a NaN after the start spreads as in the EMAs
        series.append(withInner)
        for (k, x) in series.enumerated() {
            for (fast, slow, signal) in [(12, 26, 9), (3, 7, 1), (1, 2, 40)] {
                let m = Indicators.macdWithHistogram(x, fast: fast, slow: slow, signal: signal)
                let line = zip(Indicators.ema(x, fast), Indicators.ema(x, slow)).map { $0 - $1 }
                let signalLine = Indicators.ema(line, signal)
                #expect(m.line.map(\.bitPattern) == line.map(\.bitPattern), "series \(k) line")
                #expect(m.signal.map(\.bitPattern) == signalLine.map(\.bitPattern), "series \(k) signal")
                #expect(m.histogram.map(\.bitPattern) == zip(line, signalLine).map { ($0 - $1).bitPattern }, "series \(k) histogram")
            }
        }
    }

    @Test func nextCrossFindsEveryCrossover() {
        let a = randomWalk(500, seed: 3)
        let b = Indicators.sma(a, 10)
        let order = Indicators.order(a, b)
        let crosses = (0..<a.count).filter { Indicators.crossover(a, b, at: $0) || Indicators.crossover(b, a, at: $0) }
        var found: [Int] = []
        var bar = Indicators.nextCross(order, from: 0)
        while bar < order.count {
            found.append(bar)
            bar = Indicators.nextCross(order, from: bar + 1)
        }
        #expect(found == crosses)
        #expect(crosses.count > 20)
        #expect(Indicators.nextCross(order, from: order.count + 5) == order.count + 5)
    }

    @Test func fastRemainderIsCsFmod() {
        var rng = SplitMix64(seed: 77)
        var checked = 0
        for _ in 0..<200_000 {
            let b = Double.random(in: 0.000_1...5_000, using: &rng)
            let q = Double(Int.random(in: 0...10_000_000, using: &rng))
            // Around exact multiples (the quotient one off), and anywhere.
            let near = (q * b).nextUp.nextUp
            for a in [q * b, (q * b).nextDown, (q * b).nextUp, near, Double.random(in: 0...1e9, using: &rng)] {
                let expected = a.truncatingRemainder(dividingBy: b)
                #expect(fmodPositive(a, b).bitPattern == expected.bitPattern, "fmod(\(a), \(b))")
                checked += 1
            }
        }
        for (a, b) in [(0.0, 3.0), (-5.5, 2.0), (5.5, -2.0), (.infinity, 2.0), (2.0, .infinity), (.nan, 1.0), (1e300, 1e-300)] {
            #expect(fmodPositive(a, b).bitPattern == a.truncatingRemainder(dividingBy: b).bitPattern, "fmod(\(a), \(b))")
        }
        #expect(checked == 1_000_000)
    }
}
