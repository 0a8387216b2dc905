import BacktestAPI
import BacktestEngine
import Foundation

/// A walk-forward analysis: optimise on each training window, run the winner on the window
/// that follows, and stitch the out-of-sample runs into one equity curve.
///
/// Parsed from `train=N,test=M[,step=K][,anchored]` (bars): fold `k` trains on
/// `[k*step, k*step + train)` (anchored: `[0, train + k*step)`) and tests on the `test` bars
/// after it; `step` defaults to `test`. Folds continue while a test window of at least 2
/// bars fits; the last one may be shorter. The winner of each fold runs over its training
/// and test bars but trades only in the test window (its indicators start warm); trades
/// still open at the end of a test window stay open (as in a plain run without
/// `finalize_trades`).
///
/// ```swift
/// let spec = try WalkForwardSpec(parsing: "train=500,test=100")
/// spec.folds(barCount: 2148)   // 16 folds
/// ```
public struct WalkForwardSpec: Sendable, Hashable, CustomStringConvertible {
    /// Bars in each training window (the first one when anchored).
    public var train: Int
    /// Bars in each test window.
    public var test: Int
    /// Bars between the starts of consecutive folds.
    public var step: Int
    /// Training windows all start at the first bar (they grow) instead of rolling.
    public var anchored: Bool

    /// One fold's windows (bar index ranges).
    public struct Windows: Sendable, Hashable {
        public var train: Range<Int>
        public var test: Range<Int>
    }

    /// Creates a spec.
    ///
    /// - Throws: ``OptimizeError`` `invalid_walk_forward` unless `train >= 2`, `test >= 2`,
    ///   `step >= test` (test windows must not overlap, so they stitch).
    public init(train: Int, test: Int, step: Int? = nil, anchored: Bool = false) throws(OptimizeError) {
        func fail(_ why: String) -> OptimizeError {
            OptimizeError(code: .invalidWalkForward, message: "--walk-forward: \(why)", field: "walk_forward")
        }
        guard train >= 2 else { throw fail("train must be at least 2 bars, got \(train)") }
        guard test >= 2 else { throw fail("test must be at least 2 bars, got \(test)") }
        let step = step ?? test
        guard step >= test else { throw fail("step (\(step)) must be at least test (\(test)): test windows may not overlap") }
        self.train = train
        self.test = test
        self.step = step
        self.anchored = anchored
    }

    /// Parses `train=N,test=M[,step=K][,anchored]`.
    public init(parsing text: String) throws(OptimizeError) {
        func fail(_ why: String) -> OptimizeError {
            OptimizeError(code: .invalidWalkForward, message: "--walk-forward '\(text)': \(why)", field: "walk_forward")
        }
        var values: [String: Int] = [:]
        var anchored = false
        for part in text.split(separator: ",").map({ String($0).trimmed }) {
            if part == "anchored" {
                anchored = true
                continue
            }
            let pieces = part.split(separator: "=", maxSplits: 1).map { String($0).trimmed }
            guard pieces.count == 2, ["train", "test", "step"].contains(pieces[0]) else {
                throw fail("'\(part)' is not train=N, test=N, step=N or anchored")
            }
            guard let n = Int(pieces[1]) else { throw fail("\(pieces[0]) '\(pieces[1])' is not a whole number of bars") }
            guard values[pieces[0]] == nil else { throw fail("\(pieces[0]) is given twice") }
            values[pieces[0]] = n
        }
        guard let train = values["train"], let test = values["test"] else { throw fail("needs train=N and test=M") }
        try self.init(train: train, test: test, step: values["step"], anchored: anchored)
    }

    /// The folds for `barCount` bars.
    ///
    /// - Throws: ``OptimizeError`` `invalid_walk_forward` when not one fold fits.
    public func folds(barCount: Int) throws(OptimizeError) -> [Windows] {
        var folds: [Windows] = []
        var k = 0
        while true {
            let trainStart = anchored ? 0 : k * step
            let trainEnd = anchored ? train + k * step : trainStart + train
            let testEnd = min(trainEnd + test, barCount)
            guard testEnd - trainEnd >= 2 else { break }
            folds.append(Windows(train: trainStart..<trainEnd, test: trainEnd..<testEnd))
            k += 1
        }
        guard !folds.isEmpty else {
            throw OptimizeError(
                code: .invalidWalkForward,
                message: "--walk-forward \(self): the data has \(barCount) bars, fewer than train + 2 (\(train + 2))",
                field: "walk_forward"
            )
        }
        return folds
    }

    public var description: String { "train=\(train),test=\(test),step=\(step)\(anchored ? ",anchored" : "")" }
}

/// A target that can be cut to a range of its bars and give whole results (equity, trades):
/// what a walk-forward analysis needs.
public protocol WalkForwardTarget: OptimizationTarget {
    /// The number of bars.
    var barCount: Int { get }
    /// The same target on `range` of its bars.
    func restricted(to range: Range<Int>) throws(BacktestError) -> Self
    /// Runs one combination and returns the whole result; the strategy acts from bar
    /// `firstTradingBar` on (the bars before only warm its indicators up).
    func result(_ parameters: [String: ParameterValue], firstTradingBar: Int) throws(BacktestError) -> BacktestResult
    /// The bars (for the stitched statistics).
    var bars: Bars { get }
    /// The broker settings (for the stitched statistics: the starting cash).
    var settings: BacktestSettings { get }
}

extension StrategyTarget: WalkForwardTarget {
    public var barCount: Int { bars.count }

    public func restricted(to range: Range<Int>) throws(BacktestError) -> StrategyTarget {
        guard range.count >= 2, range.lowerBound >= 0, range.upperBound <= bars.count else {
            throw BacktestError(code: .insufficientData, message: "a window needs at least 2 bars", field: "walk_forward")
        }
        let slice = bars.slice(from: bars.timestamps[range.lowerBound], through: bars.timestamps[range.upperBound - 1])
        return StrategyTarget(bars: slice, settings: settings, request: request, parameterNames: parameterNames)
    }

    public func result(_ parameters: [String: ParameterValue], firstTradingBar: Int) throws(BacktestError) -> BacktestResult {
        var backtest = Backtest(bars: bars, settings: settings)
        backtest.firstTradingBar = firstTradingBar
        return try backtest.run(try make(parameters))
    }
}

/// One fold of a walk-forward analysis.
public struct WalkForwardFold: Sendable {
    /// Its windows (bar indices of the whole data).
    public var windows: WalkForwardSpec.Windows
    /// The in-sample winner and its training statistics.
    public var best: Candidate
    /// The winner's run on the test window.
    public var outOfSample: Statistics

    /// Creates a fold.
    public init(windows: WalkForwardSpec.Windows, best: Candidate, outOfSample: Statistics) {
        self.windows = windows
        self.best = best
        self.outOfSample = outOfSample
    }
}

/// The outcome of a walk-forward analysis.
public struct WalkForwardResult: Sendable {
    /// Each fold.
    public var folds: [WalkForwardFold]
    /// The test windows' equity, each fold's scaled to start where the previous ended.
    public var equity: [Double]
    /// The statistics of that stitched curve (its trades: every fold's, scaled alike).
    public var statistics: Statistics

    /// Creates a result.
    public init(folds: [WalkForwardFold], equity: [Double], statistics: Statistics) {
        self.folds = folds
        self.equity = equity
        self.statistics = statistics
    }
}

extension Optimizer where Target: WalkForwardTarget {
    /// Runs a walk-forward analysis: this optimizer's search on each training window, its
    /// winner on the test window after it.
    ///
    /// - Parameter progress: called with the folds done and the total.
    public func walkForward(
        _ spec: WalkForwardSpec,
        progress: (@Sendable (OptimizationProgress) -> Void)? = nil
    ) async throws -> WalkForwardResult {
        let folds = try spec.folds(barCount: target.barCount)
        let clock = ContinuousClock()
        let started = clock.now
        var results: [WalkForwardFold] = []
        var testResults: [BacktestResult] = []
        progress?(OptimizationProgress(done: 0, total: folds.count, elapsed: 0))
        for windows in folds {
            let found = try await trainingSearch(windows).run()
            let tested = try outOfSample(found.best.parameters, windows: windows)
            results.append(WalkForwardFold(windows: windows, best: found.best, outOfSample: tested.statistics))
            testResults.append(tested)
            progress?(OptimizationProgress(done: results.count, total: folds.count, elapsed: (clock.now - started).seconds))
        }
        let (equity, statistics) = try Self.stitch(testResults, folds: folds, target: target)
        return WalkForwardResult(folds: results, equity: equity, statistics: statistics)
    }

    /// This search on a fold's training window.
    public func trainingSearch(_ windows: WalkForwardSpec.Windows) throws(BacktestError) -> Optimizer {
        Optimizer(space: space, target: try target.restricted(to: windows.train), configuration: configuration)
    }

    /// A fold's winner on its test window: it runs over the training and test bars, acting
    /// only in the test window, so its indicators start warm, as they would be when trading
    /// it live. Returns the test window's part (its equity, trades and statistics).
    public func outOfSample(
        _ parameters: [(name: String, value: ParameterValue)],
        windows: WalkForwardSpec.Windows
    ) throws(BacktestError)
        -> BacktestResult
    {
        let values = Dictionary(parameters.map { ($0.name, $0.value) }, uniquingKeysWith: { a, _ in a })
        let warm = try target.restricted(to: windows.train.lowerBound..<windows.test.upperBound)
            .result(values, firstTradingBar: windows.train.count)
        return Self.testPart(of: warm, from: windows.train.count, bars: try target.restricted(to: windows.test).bars)
    }

    /// The folds' test runs stitched into one equity curve and its statistics.
    public func stitch(_ runs: [BacktestResult], folds: [WalkForwardSpec.Windows]) throws(BacktestError) -> ([Double], Statistics) {
        try Self.stitch(runs, folds: folds, target: target)
    }

    /// The test window's part of a run over training and test bars: its equity, its trades
    /// (all entered in it), and their statistics.
    static func testPart(of run: BacktestResult, from first: Int, bars: Bars) -> BacktestResult {
        var part = run
        part.equity = Array(run.equity[first...])
        part.trades = run.trades.map { trade in
            var t = trade
            t.entryBar -= first
            t.exitBar -= first
            return t
        }
        part.statistics = Statistics.compute(bars: bars, equity: part.equity, trades: part.trades, warmup: 0)
        return part
    }

    /// Chains the test runs: fold `k`'s equity and trades scaled by the equity the folds
    /// before it ended with, over the concatenated test bars.
    static func stitch(_ runs: [BacktestResult], folds: [WalkForwardSpec.Windows], target: Target) throws(BacktestError) -> ([Double], Statistics) {
        let cash = target.settings.cash
        let all = target.bars
        var equity: [Double] = []
        var trades: [TradeRecord] = []
        var indices: [Int] = []
        var scale = 1.0
        for (run, windows) in zip(runs, folds) {
            let offset = indices.count
            indices += Array(windows.test)
            equity += run.equity.map { $0 * scale }
            for var trade in run.trades {
                trade.entryBar += offset
                trade.exitBar += offset
                trade.pnl *= scale
                trade.commission *= scale
                trades.append(trade)
            }
            scale *= (run.equity.last ?? cash) / cash
        }
        let bars = try Bars(
            timestamps: indices.map { all.timestamps[$0] },
            open: indices.map { all.open[$0] },
            high: indices.map { all.high[$0] },
            low: indices.map { all.low[$0] },
            close: indices.map { all.close[$0] },
            volume: indices.map { all.volume[$0] }
        )
        return (equity, Statistics.compute(bars: bars, equity: equity, trades: trades, warmup: 0))
    }
}
