/// Runs a strategy over bars with backtesting.py's bar-by-bar semantics.
///
/// ```swift
/// let backtest = Backtest(bars: bars, settings: BacktestSettings(cash: 10_000))
/// let result = try backtest.run(SMACross(fast: 10, slow: 30))
/// print(result.statistics.returnPct, result.trades.count)
/// ```
public struct Backtest: Sendable {
    /// The price data.
    public var bars: Bars
    /// Broker settings.
    public var settings: BacktestSettings
    /// The first bar on which the strategy may act (default 0: as soon as its indicators
    /// exist). The bars before it only warm the indicators up; equity stays at the starting
    /// cash. A walk-forward test window uses it to warm up on the training bars.
    public var firstTradingBar = 0

    /// Creates a backtest.
    public init(bars: Bars, settings: BacktestSettings = BacktestSettings()) {
        self.bars = bars
        self.settings = settings
    }

    /// Runs `strategy` and computes the statistics.
    ///
    /// - Parameter cache: indicators shared with other runs on the same bars (a search);
    ///   the result is the same with or without it.
    /// - Parameter scope: the statistics to compute (``StatisticsScope``; default all of them).
    /// - Throws: ``BacktestError`` for invalid settings, empty data, or an order the strategy
    ///   placed that the broker refuses (e.g. SL above a long's price).
    public func run<S: Strategy>(
        _ strategy: S,
        cache: IndicatorCache? = nil,
        statistics scope: StatisticsScope = .all
    ) throws(BacktestError) -> BacktestResult {
        try settings.validate()
        guard bars.count >= 2 else {
            throw BacktestError(code: .insufficientData, message: "a backtest needs at least 2 bars, got \(bars.count)", field: "data")
        }
        var strategy = strategy
        var setup = StrategySetup(bars: bars, cache: cache)
        strategy.setup(&setup)
        let warmup = setup.warmup
        let start = max(warmup + 1, firstTradingBar)
        var context = StrategyContext(broker: Broker(bars: bars, settings: settings))
        let n = bars.count
        var bankrupt = false
        var failure: BacktestError?
        // Equity at each close. The bars before the first step keep the starting cash; the
        // loop writes every later bar (a quiet stretch, a step, or 0 from a bankruptcy on),
        // so only the first are filled beforehand (a failed run's rest is zeroed).
        var equity = [Double](unsafeUninitializedCapacity: n) { equity, count in
            count = n
            UnsafeMutableBufferPointer(rebasing: equity[..<min(start, n)]).initialize(repeating: settings.cash)
            var i = start
            var decision = strategy.nextDecisionBar(from: start)
            while i < n {
                // Bars before the next decision on which no order can act: equity only.
                if i < decision {
                    i = context.broker.quietBars(from: i, to: min(decision, n), equity: equity)
                    if i >= n { break }
                }
                let value = context.broker.step(i)
                if let refused = context.broker.failure {
                    failure = refused
                    UnsafeMutableBufferPointer(rebasing: equity[i...]).initialize(repeating: 0)
                    return
                }
                if value <= 0 {
                    bankrupt = true
                    for k in i..<n { equity[k] = 0 }
                    break
                }
                equity[i] = value
                if i >= decision {
                    context.index = i
                    do throws(BacktestError) {
                        try strategy.next(&context)
                    } catch {
                        failure = error
                        UnsafeMutableBufferPointer(rebasing: equity[(i + 1)...]).initialize(repeating: 0)
                        return
                    }
                    decision = strategy.nextDecisionBar(from: i + 1)
                }
                i += 1
            }
        }
        if let failure { throw failure }
        if !bankrupt && settings.finalizeTrades && start < n {
            for t in context.broker.trades.reversed() { context.broker.closeOrder(for: t, portion: 1) }
            equity[n - 1] = max(0, context.broker.step(n - 1))
        }
        let broker = context.broker
        let statistics = Statistics.compute(
            bars: bars,
            equity: equity,
            trades: broker.closed,
            warmup: warmup,
            scope: scope
        )
        return BacktestResult(
            statistics: statistics,
            trades: broker.closed,
            openTrades: broker.openTradeRecords,
            equity: equity,
            warmup: warmup,
            cancelledOrders: broker.cancelledOrders,
            indicators: setup.plots
        )
    }
}

extension Backtest {
    /// Every statistic of `result`, a run of this backtest (one made with a narrower
    /// ``StatisticsScope``): the same values as a plain run's.
    public func statistics(of result: BacktestResult) -> Statistics {
        Statistics.compute(bars: bars, equity: result.equity, trades: result.trades, warmup: result.warmup)
    }
}

/// The outcome of a backtest.
public struct BacktestResult: Sendable {
    /// The summary statistics.
    public var statistics: Statistics
    /// Closed trades, in order of closing.
    public var trades: [TradeRecord]
    /// Trades left open at the end (empty with `finalizeTrades`).
    public var openTrades: [OpenTradeRecord]
    /// Equity at each bar's close, one value per bar.
    public var equity: [Double]
    /// The warm-up bar: the first bar on which every indicator is defined.
    public var warmup: Int
    /// Orders the broker cancelled for lack of cash or margin.
    public var cancelledOrders: Int
    /// The strategy's named indicators, for reports.
    public var indicators: [IndicatorPlot] = []
}
