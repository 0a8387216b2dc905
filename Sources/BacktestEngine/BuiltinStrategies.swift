/// Stop-loss and take-profit distances as fractions of the signal bar's close
/// (SEMANTICS.md 5.5): a long gets `sl = c * (1 - slPct)`, `tp = c * (1 + tpPct)`.
public struct Brackets: Sendable, Hashable {
    /// Stop-loss distance, or `nil` for none.
    public var slPct: Double?
    /// Take-profit distance, or `nil` for none.
    public var tpPct: Double?

    /// Creates brackets.
    public init(slPct: Double? = nil, tpPct: Double? = nil) {
        self.slPct = slPct
        self.tpPct = tpPct
    }

    @inline(__always)
    func buy(_ context: inout StrategyContext) throws(BacktestError) {
        let c = context.bars.close[context.index]
        try context.buy(sl: slPct.map { c * (1 - $0) }, tp: tpPct.map { c * (1 + $0) })
    }

    @inline(__always)
    func sell(_ context: inout StrategyContext) throws(BacktestError) {
        let c = context.bars.close[context.index]
        try context.sell(sl: slPct.map { c * (1 + $0) }, tp: tpPct.map { c * (1 - $0) })
    }
}

/// Buys on the first bar and holds.
public struct BuyAndHold: Strategy, Sendable, Hashable {
    public var brackets: Brackets
    public init(brackets: Brackets = Brackets()) { self.brackets = brackets }
    public mutating func setup(_ setup: inout StrategySetup) {}
    public mutating func next(_ context: inout StrategyContext) throws(BacktestError) {
        if context.position.isFlat { try brackets.buy(&context) }
    }
}

/// Long-only moving-average crossover: buy when the fast SMA crosses above the slow one
/// (if flat), close when it crosses back below.
public struct SMACross: Strategy, Sendable, Hashable {
    public var fast: Int, slow: Int, brackets: Brackets
    /// The exact SMAs' order on each bar (fast vs slow).
    var order: [Int8] = []
    public init(fast: Int, slow: Int, brackets: Brackets = Brackets()) {
        self.fast = fast
        self.slow = slow
        self.brackets = brackets
    }
    public mutating func setup(_ setup: inout StrategySetup) {
        // Running SMAs decide the order exactly as the left-to-right SMAs would, in a
        // fraction of their time (see RunningSMA).
        let fastMA = setup.runningSMA(setup.bars.close, fast)
        let slowMA = setup.runningSMA(setup.bars.close, slow)
        setup.indicator(fastMA.values, name: "SMA(\(fast))")
        setup.indicator(slowMA.values, name: "SMA(\(slow))")
        order = Indicators.order(fastMA, slowMA)
    }
    public mutating func next(_ context: inout StrategyContext) throws(BacktestError) {
        let i = context.index
        guard i >= 1 else { return }
        let before = order[i - 1]
        let now = order[i]
        if before < 0 && now > 0 {  // fast crosses above slow
            if context.position.isFlat { try brackets.buy(&context) }
        } else if before > 0 && now < 0 {  // slow crosses above fast
            context.closePosition()
        }
    }
    public mutating func nextDecisionBar(from bar: Int) -> Int {
        Indicators.nextCross(order, from: bar)
    }
}

/// Always-in-the-market crossover: cross up closes and goes long, cross down closes and
/// goes short.
public struct SMACrossReverse: Strategy, Sendable, Hashable {
    public var fast: Int, slow: Int, brackets: Brackets
    /// The exact SMAs' order on each bar (fast vs slow).
    var order: [Int8] = []
    public init(fast: Int, slow: Int, brackets: Brackets = Brackets()) {
        self.fast = fast
        self.slow = slow
        self.brackets = brackets
    }
    public mutating func setup(_ setup: inout StrategySetup) {
        // Running SMAs decide the order exactly as the left-to-right SMAs would, in a
        // fraction of their time (see RunningSMA).
        let fastMA = setup.runningSMA(setup.bars.close, fast)
        let slowMA = setup.runningSMA(setup.bars.close, slow)
        setup.indicator(fastMA.values, name: "SMA(\(fast))")
        setup.indicator(slowMA.values, name: "SMA(\(slow))")
        order = Indicators.order(fastMA, slowMA)
    }
    public mutating func next(_ context: inout StrategyContext) throws(BacktestError) {
        let i = context.index
        guard i >= 1 else { return }
        let before = order[i - 1]
        let now = order[i]
        if before < 0 && now > 0 {  // fast crosses above slow
            context.closePosition()
            try brackets.buy(&context)
        } else if before > 0 && now < 0 {  // slow crosses above fast
            context.closePosition()
            try brackets.sell(&context)
        }
    }
    public mutating func nextDecisionBar(from bar: Int) -> Int {
        Indicators.nextCross(order, from: bar)
    }
}

/// Mean reversion on Wilder's RSI: buy when flat and RSI < lower, close when RSI > upper.
public struct RSIReversion: Strategy, Sendable, Hashable {
    public var period: Int, lower: Double, upper: Double, brackets: Brackets
    var rsi: [Double] = []
    public init(period: Int, lower: Double, upper: Double, brackets: Brackets = Brackets()) {
        self.period = period
        self.lower = lower
        self.upper = upper
        self.brackets = brackets
    }
    public mutating func setup(_ setup: inout StrategySetup) {
        rsi = setup.indicator(Indicators.rsi(setup.bars.close, period), name: "RSI(\(period))", panel: "RSI", levels: [lower, upper])
    }
    public mutating func next(_ context: inout StrategyContext) throws(BacktestError) {
        let r = rsi[context.index]
        let flat = context.position.isFlat
        if flat && r < lower {
            try brackets.buy(&context)
        } else if !flat && r > upper {
            context.closePosition()
        }
    }
    /// The first bar from `bar` with the RSI below `lower` or above `upper`: on the others
    /// `next` does nothing, flat or not (a NaN of the warm-up compares false).
    public mutating func nextDecisionBar(from bar: Int) -> Int {
        let (lower, upper) = (lower, upper)
        return rsi.withUnsafeBufferPointer { rsi in
            var k = max(0, bar)
            while k < rsi.count && !(rsi[k] < lower || rsi[k] > upper) { k += 1 }
            return k
        }
    }
}

/// Bollinger-band reversion: buy below the lower band, close above the middle; with
/// `allowShort`, also sell above the upper band and close below the middle.
public struct BollingerReversion: Strategy, Sendable, Hashable {
    public var period: Int, k: Double, allowShort: Bool, brackets: Brackets
    var mid: [Double] = [], upper: [Double] = [], lower: [Double] = []
    public init(period: Int, k: Double, allowShort: Bool = false, brackets: Brackets = Brackets()) {
        self.period = period
        self.k = k
        self.allowShort = allowShort
        self.brackets = brackets
    }
    public mutating func setup(_ setup: inout StrategySetup) {
        let bands = Indicators.bollinger(setup.bars.close, period, k)
        mid = setup.indicator(bands.mid, name: "BB mid(\(period))")
        upper = setup.indicator(bands.upper, name: "BB upper(\(period), \(k))")
        lower = setup.indicator(bands.lower, name: "BB lower(\(period), \(k))")
    }
    public mutating func next(_ context: inout StrategyContext) throws(BacktestError) {
        let i = context.index
        let c = context.bars.close[i]
        let position = context.position
        if position.isFlat {
            if c < lower[i] {
                try brackets.buy(&context)
            } else if allowShort && c > upper[i] {
                try brackets.sell(&context)
            }
        } else if position.isLong {
            if c > mid[i] { context.closePosition() }
        } else if c < mid[i] {
            context.closePosition()
        }
    }
}

/// MACD signal-line crossover: long on an up-cross, close on a down-cross; with
/// `allowShort`, reverse on each cross.
public struct MACDCross: Strategy, Sendable, Hashable {
    public var fast: Int, slow: Int, signal: Int, allowShort: Bool, brackets: Brackets
    /// The MACD line against its signal line on each bar: `1` above, `-1` below, `0` equal
    /// or undefined, so `crossover(line, signal, at: i)` is `order[i - 1] < 0 && order[i] > 0`.
    var order: [Int8] = []
    public init(fast: Int, slow: Int, signal: Int, allowShort: Bool = false, brackets: Brackets = Brackets()) {
        self.fast = fast
        self.slow = slow
        self.signal = signal
        self.allowShort = allowShort
        self.brackets = brackets
    }
    public mutating func setup(_ setup: inout StrategySetup) {
        let m = Indicators.macdWithHistogram(setup.bars.close, fast: fast, slow: slow, signal: signal)
        setup.indicator(m.line, name: "MACD(\(fast), \(slow))", panel: "MACD")
        setup.indicator(m.signal, name: "signal(\(signal))", panel: "MACD")
        setup.plot(IndicatorPlot(name: "histogram", panel: "MACD", values: m.histogram, style: .histogram))
        order = Indicators.order(m.line, m.signal)
    }
    public mutating func next(_ context: inout StrategyContext) throws(BacktestError) {
        let i = context.index
        guard i >= 1 else { return }
        let before = order[i - 1]
        let now = order[i]
        if before < 0 && now > 0 {  // crossover(line, signal)
            if allowShort {
                context.closePosition()
                try brackets.buy(&context)
            } else if context.position.isFlat {
                try brackets.buy(&context)
            }
        } else if before > 0 && now < 0 {  // crossover(signal, line)
            context.closePosition()
            if allowShort { try brackets.sell(&context) }
        }
    }
    public mutating func nextDecisionBar(from bar: Int) -> Int {
        Indicators.nextCross(order, from: bar)
    }
}

/// Donchian breakout: buy when flat and the close exceeds the previous `nEntry` bars' high,
/// close when it falls below the previous `nExit` bars' low.
public struct DonchianBreakout: Strategy, Sendable, Hashable {
    public var nEntry: Int, nExit: Int, brackets: Brackets
    var upper: [Double] = [], lower: [Double] = []
    /// The bars' closes (shared with the bars, not copied), for `nextDecisionBar`.
    var closes: [Double] = []
    public init(nEntry: Int, nExit: Int, brackets: Brackets = Brackets()) {
        self.nEntry = nEntry
        self.nExit = nExit
        self.brackets = brackets
    }
    public mutating func setup(_ setup: inout StrategySetup) {
        closes = setup.bars.close
        upper = setup.indicator(Indicators.donchian(high: setup.bars.high, low: setup.bars.low, nEntry).upper, name: "Donchian upper(\(nEntry))")
        lower = setup.indicator(Indicators.donchian(high: setup.bars.high, low: setup.bars.low, nExit).lower, name: "Donchian lower(\(nExit))")
    }
    public mutating func next(_ context: inout StrategyContext) throws(BacktestError) {
        let i = context.index
        let c = context.bars.close[i]
        let flat = context.position.isFlat
        if flat && c > upper[i] {
            try brackets.buy(&context)
        } else if !flat && c < lower[i] {
            context.closePosition()
        }
    }
    /// The first bar from `bar` whose close is above the entry channel or below the exit
    /// channel: on the others `next` does nothing, flat or not (a NaN of the warm-up
    /// compares false).
    public mutating func nextDecisionBar(from bar: Int) -> Int {
        upper.withUnsafeBufferPointer { upper in
            lower.withUnsafeBufferPointer { lower in
                closes.withUnsafeBufferPointer { close in
                    var k = max(0, bar)
                    let end = min(close.count, upper.count, lower.count)
                    while k < end && !(close[k] > upper[k] || close[k] < lower[k]) { k += 1 }
                    return k
                }
            }
        }
    }
}
