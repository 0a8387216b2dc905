/// A trading strategy: indicators computed once in ``setup(_:)``, decisions made bar by bar
/// in ``next(_:)``, as backtesting.py's `init()` and `next()`.
///
/// Register every indicator through ``StrategySetup/indicator(_:)``: the simulation starts
/// one bar after the first bar on which all registered indicators are defined (the warm-up).
///
/// A complete strategy that buys when the close crosses above its 50-bar average and sells
/// everything when it crosses back below:
///
/// ```swift
/// struct CloseAboveAverage: Strategy {
///     var average: [Double] = []
///
///     mutating func setup(_ setup: inout StrategySetup) {
///         average = setup.indicator(Indicators.sma(setup.bars.close, 50))
///     }
///
///     mutating func next(_ context: inout StrategyContext) throws(BacktestError) {
///         let close = context.bars.close
///         if Indicators.crossover(close, average, at: context.index) {
///             if context.position.isFlat { try context.buy() }
///         } else if Indicators.crossover(average, close, at: context.index) {
///             context.closePosition()
///         }
///     }
/// }
///
/// let result = try Backtest(bars: bars, settings: BacktestSettings(commission: .init(relative: 0.001)))
///     .run(CloseAboveAverage())
/// print(result.statistics.sharpeRatio)
/// ```
public protocol Strategy {
    /// Computes indicators over the whole data, once, before the first bar.
    mutating func setup(_ setup: inout StrategySetup)
    /// Makes this bar's decisions; sees data up to and including `context.index`.
    mutating func next(_ context: inout StrategyContext) throws(BacktestError)
    /// The first bar at or after `bar` on which ``next(_:)`` might place or close an order,
    /// whatever the position; `bar` itself by default (every bar). The run calls `next` on
    /// that bar and may skip the bars before it, so a strategy returns a later bar only when
    /// `next` does nothing on the skipped ones (no orders, no state), e.g. the crossovers of
    /// two indicators computed in ``setup(_:)``. Bars at or beyond the data's end mean none.
    mutating func nextDecisionBar(from bar: Int) -> Int
}

extension Strategy {
    /// Every bar is a decision bar: `next` runs on each.
    public mutating func nextDecisionBar(from bar: Int) -> Int { bar }
}

/// What a strategy sees while it computes its indicators.
public struct StrategySetup {
    /// The full price data.
    public let bars: Bars
    /// The warm-up so far: the largest first-valid index of the registered indicators.
    public private(set) var warmup = 0
    /// Indicators shared with other runs on the same bars (a search), if any.
    let cache: IndicatorCache?

    init(bars: Bars, cache: IndicatorCache? = nil) {
        self.bars = bars
        self.cache = cache
    }

    /// The running SMA of `x` over `n` bars: from the search's ``IndicatorCache`` when the
    /// run has one, else computed.
    public func runningSMA(_ x: [Double], _ n: Int) -> RunningSMA {
        if let cache { return cache.runningSMA(x, n) }
        guard Self.sameStorage(x, bars.close) else { return RunningSMA(x, n) }
        return RunningSMA(x, n, maxMagnitude: bars.closeMaxMagnitude)
    }

    /// `true` when `a` and `b` are the same array storage (so the same values).
    static func sameStorage(_ a: [Double], _ b: [Double]) -> Bool {
        a.withUnsafeBufferPointer { a in
            b.withUnsafeBufferPointer { b in a.baseAddress == b.baseAddress && a.count == b.count }
        }
    }

    /// The indicators registered with a name, for reports.
    public private(set) var plots: [IndicatorPlot] = []

    /// Registers an indicator for the warm-up rule and returns it unchanged.
    @discardableResult
    public mutating func indicator(_ values: [Double]) -> [Double] {
        warmup = max(warmup, Indicators.firstValidIndex(values))
        return values
    }

    /// Registers an indicator for the warm-up rule and for reports (drawn in `panel`, with
    /// `levels`), and returns it unchanged.
    @discardableResult
    public mutating func indicator(
        _ values: [Double],
        name: String,
        panel: String = IndicatorPlot.pricePanel,
        levels: [Double] = []
    ) -> [Double] {
        plots.append(IndicatorPlot(name: name, panel: panel, values: values, levels: levels))
        return indicator(values)
    }

    /// Adds a series to reports only (it does not count for the warm-up), e.g. a histogram
    /// derived from two registered indicators.
    public mutating func plot(_ plot: IndicatorPlot) {
        plots.append(plot)
    }
}

/// The account as a strategy sees it on the current bar.
public struct Position: Sendable, Equatable {
    /// Net size in units: positive long, negative short, 0 flat.
    public var size: Int
    /// `true` when the net size is 0.
    @inlinable public var isFlat: Bool { size == 0 }
    /// `true` when net long.
    @inlinable public var isLong: Bool { size > 0 }
    /// `true` when net short.
    @inlinable public var isShort: Bool { size < 0 }
}

/// The strategy's view of the current bar and its handle on the broker.
public struct StrategyContext {
    var broker: Broker
    /// Index of the current bar.
    public internal(set) var index: Int = 0
    /// The full price data; use only indices up to ``index`` to avoid look-ahead.
    public let bars: Bars

    init(broker: Broker) {
        self.broker = broker
        self.bars = broker.bars
    }

    /// The current net position.
    public var position: Position { Position(size: broker.positionSize) }
    /// Number of open trades.
    public var openTrades: Int { broker.trades.count }
    /// Account equity at the current bar's close.
    public var equity: Double { broker.equity(at: index) }
    /// Cash not tied up in open trades' unrealized P&L.
    public var cash: Double { broker.cash }

    /// Places a buy order. `size` is a fraction of available margin in (0, 1) or a whole
    /// number of units; `limit`/`stop` make it a limit/stop entry; `sl`/`tp` attach
    /// stop-loss and take-profit prices to the resulting trade.
    ///
    /// - Throws: ``BacktestError`` when the size is invalid or `sl < price < tp` fails.
    public mutating func buy(
        size: Double = fullEquityFraction,
        limit: Double? = nil,
        stop: Double? = nil,
        sl: Double? = nil,
        tp: Double? = nil
    ) throws(BacktestError) {
        try Self.checkSize(size)
        try broker.placeOrder(size: size, limit: limit, stop: stop, sl: sl, tp: tp)
    }

    /// Places a sell (short) order; see ``buy(size:limit:stop:sl:tp:)``.
    public mutating func sell(
        size: Double = fullEquityFraction,
        limit: Double? = nil,
        stop: Double? = nil,
        sl: Double? = nil,
        tp: Double? = nil
    ) throws(BacktestError) {
        try Self.checkSize(size)
        try broker.placeOrder(size: -size, limit: limit, stop: stop, sl: sl, tp: tp)
    }

    /// Closes every open trade at the next fill.
    public mutating func closePosition() {
        broker.closePosition()
    }

    private static func checkSize(_ size: Double) throws(BacktestError) {
        guard (size > 0 && size < 1) || (size >= 1 && size.rounded() == size && size.isFinite) else {
            throw BacktestError(code: .invalidOrder, message: "order size must be a fraction in (0, 1) or a whole number of units >= 1, got \(size)")
        }
    }
}
