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

        /// Creates a fold's windows.
        public init(train: Range<Int>, test: Range<Int>) {
            self.train = train
            self.test = test
        }
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

/// A fold's out-of-sample run: the test window's equity (starting from the target's cash)
/// and its statistics.
public protocol WalkForwardRun: Sendable {
    /// Equity per test bar.
    var equity: [Double] { get }
    /// The test window's statistics (the fold's out-of-sample ones).
    var statistics: Statistics { get }
}

extension BacktestResult: WalkForwardRun {}

extension PortfolioResult: WalkForwardRun {}

/// A target that can be cut to a range of its bars, run a fold's winner on its test window
/// and stitch those runs: what a walk-forward analysis needs (a strategy on one ticker:
/// ``StrategyTarget``; a portfolio: ``PortfolioTarget``).
public protocol WalkForwardTarget: OptimizationTarget {
    /// A fold's out-of-sample run.
    associatedtype TestRun: WalkForwardRun
    /// The number of bars (a portfolio's: its calendar's).
    var barCount: Int { get }
    /// Each bar's timestamp (the folds' dates).
    var timestamps: [Int64] { get }
    /// The same target on `range` of its bars.
    func restricted(to range: Range<Int>) throws(BacktestError) -> Self
    /// A fold's winner on its test window: it runs over the training and test bars and acts
    /// only in the test window; the test window's part.
    func testRun(_ parameters: [String: ParameterValue], windows: WalkForwardSpec.Windows) throws(BacktestError) -> TestRun
    /// The folds' test runs chained into one equity curve (fold `k`'s scaled by the equity
    /// the folds before it ended with, over the starting cash) and its statistics.
    func stitch(_ runs: [TestRun], folds: [WalkForwardSpec.Windows]) throws(BacktestError) -> (equity: [Double], statistics: Statistics)
}

extension WalkForwardTarget {
    /// The test runs' equity chained: each run's scaled by the equity the runs before it ended
    /// with, over `cash`; and each run's scale.
    public static func chain(_ runs: [TestRun], cash: Double) -> (equity: [Double], scales: [Double]) {
        var equity: [Double] = []
        var scales: [Double] = []
        var scale = 1.0
        for run in runs {
            scales.append(scale)
            equity += run.equity.map { $0 * scale }
            scale *= (run.equity.last ?? cash) / cash
        }
        return (equity, scales)
    }
}

extension StrategyTarget: WalkForwardTarget {
    public var barCount: Int { bars.count }

    public var timestamps: [Int64] { bars.timestamps }

    public func restricted(to range: Range<Int>) throws(BacktestError) -> StrategyTarget {
        guard range.count >= 2, range.lowerBound >= 0, range.upperBound <= bars.count else {
            throw BacktestError(code: .insufficientData, message: "a window needs at least 2 bars", field: "walk_forward")
        }
        let slice = bars.slice(from: bars.timestamps[range.lowerBound], through: bars.timestamps[range.upperBound - 1])
        return StrategyTarget(bars: slice, settings: settings, request: request, parameterNames: parameterNames)
    }

    /// Runs one combination and returns the whole result; the strategy acts from bar
    /// `firstTradingBar` on (the bars before only warm its indicators up).
    public func result(_ parameters: [String: ParameterValue], firstTradingBar: Int) throws(BacktestError) -> BacktestResult {
        var backtest = Backtest(bars: bars, settings: settings)
        backtest.firstTradingBar = firstTradingBar
        return try backtest.run(try make(parameters))
    }

    /// The winner over the training and test bars, acting only in the test window, so its
    /// indicators start warm, as they would be when trading it live; the test window's part
    /// (its equity, trades and statistics). Trades still open at the end stay open.
    public func testRun(_ parameters: [String: ParameterValue], windows: WalkForwardSpec.Windows) throws(BacktestError) -> BacktestResult {
        let warm = try restricted(to: windows.train.lowerBound..<windows.test.upperBound)
            .result(parameters, firstTradingBar: windows.train.count)
        return Self.testPart(of: warm, from: windows.train.count, bars: try restricted(to: windows.test).bars)
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
    public func stitch(_ runs: [BacktestResult], folds: [WalkForwardSpec.Windows]) throws(BacktestError) -> (equity: [Double], statistics: Statistics)
    {
        let (equity, scales) = Self.chain(runs, cash: settings.cash)
        var trades: [TradeRecord] = []
        var indices: [Int] = []
        for ((run, windows), scale) in zip(zip(runs, folds), scales) {
            let offset = indices.count
            indices += Array(windows.test)
            for var trade in run.trades {
                trade.entryBar += offset
                trade.exitBar += offset
                trade.pnl *= scale
                trade.commission *= scale
                trades.append(trade)
            }
        }
        let stitched = try Bars(
            timestamps: indices.map { bars.timestamps[$0] },
            open: indices.map { bars.open[$0] },
            high: indices.map { bars.high[$0] },
            low: indices.map { bars.low[$0] },
            close: indices.map { bars.close[$0] },
            volume: indices.map { bars.volume[$0] }
        )
        return (equity, Statistics.compute(bars: stitched, equity: equity, trades: trades, warmup: 0))
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
        var testResults: [Target.TestRun] = []
        progress?(OptimizationProgress(done: 0, total: folds.count, elapsed: 0))
        for windows in folds {
            let found = try await trainingSearch(windows).run()
            let tested = try outOfSample(found.best.parameters, windows: windows)
            results.append(WalkForwardFold(windows: windows, best: found.best, outOfSample: tested.statistics))
            testResults.append(tested)
            progress?(OptimizationProgress(done: results.count, total: folds.count, elapsed: (clock.now - started).seconds))
        }
        let (equity, statistics) = try target.stitch(testResults, folds: folds)
        return WalkForwardResult(folds: results, equity: equity, statistics: statistics)
    }

    /// The folds of `spec` on this target's bars, after checking that the search can run on
    /// the first (shortest) training window: a combination the whole data admits may not fit
    /// a window (a portfolio's lookback, say).
    ///
    /// - Throws: ``OptimizeError`` `invalid_walk_forward` (field `walk_forward`) when no fold
    ///   fits, or a combination is refused on the first training window.
    public func checkedFolds(_ spec: WalkForwardSpec) throws(OptimizeError) -> [WalkForwardSpec.Windows] {
        let folds = try spec.folds(barCount: target.barCount)
        guard let first = folds.first else { return folds }
        func refused(_ why: String) -> OptimizeError {
            OptimizeError(
                code: .invalidWalkForward,
                message: "--walk-forward \(spec): on the first training window (\(first.train.count) bars): \(why)",
                field: "walk_forward"
            )
        }
        let training: Optimizer
        do {
            training = try trainingSearch(first)
        } catch {
            throw refused(error.message)
        }
        do {
            _ = try training.plan()
        } catch {
            throw refused(error.message)
        }
        return folds
    }

    /// This search on a fold's training window.
    public func trainingSearch(_ windows: WalkForwardSpec.Windows) throws(BacktestError) -> Optimizer {
        Optimizer(space: space, target: try target.restricted(to: windows.train), configuration: configuration)
    }

    /// A fold's winner on its test window (``WalkForwardTarget/testRun(_:windows:)``).
    public func outOfSample(
        _ parameters: [(name: String, value: ParameterValue)],
        windows: WalkForwardSpec.Windows
    ) throws(BacktestError)
        -> Target.TestRun
    {
        let values = Dictionary(parameters.map { ($0.name, $0.value) }, uniquingKeysWith: { a, _ in a })
        return try target.testRun(values, windows: windows)
    }

    /// The folds' test runs stitched into one equity curve and its statistics.
    public func stitch(_ runs: [Target.TestRun], folds: [WalkForwardSpec.Windows]) throws(BacktestError) -> ([Double], Statistics) {
        let stitched = try target.stitch(runs, folds: folds)
        return (stitched.equity, stitched.statistics)
    }
}
