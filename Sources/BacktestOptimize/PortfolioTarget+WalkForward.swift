import BacktestAPI
import BacktestEngine

/// A walk-forward analysis over a portfolio (bars are the portfolio's calendar bars).
///
/// Each fold's training search is a plain portfolio search on the training window. Its
/// winner runs over the training and test bars and trades only in the test window: it holds
/// the starting cash until the test window's first bar, which is a decision bar, and the
/// schedule runs from there as in a plain run over the test window, while the lookbacks
/// (momentum, inverse volatility) see the training bars before it. Holdings at the end of
/// a test window are not sold: they are valued at their last close, as a single ticker's
/// open trades stay open, and the next fold's test run starts again from the starting cash,
/// its equity scaled to go on from where the previous fold's ended.
extension PortfolioTarget: WalkForwardTarget {
    public var barCount: Int { portfolio.dates.count }

    public var timestamps: [Int64] { portfolio.dates }

    public func restricted(to range: Range<Int>) throws(BacktestError) -> PortfolioTarget {
        PortfolioTarget(portfolio: try portfolio.restricted(to: range))
    }

    /// The winner over the training and test bars, deciding from the test window's first bar
    /// on (``PortfolioBacktest/run(from:recordWeights:)``); `trades` counts its fills.
    public func testRun(_ parameters: [String: ParameterValue], windows: WalkForwardSpec.Windows) throws(BacktestError) -> PortfolioResult {
        let warm = try portfolio.restricted(to: windows.train.lowerBound..<windows.test.upperBound).with(settings: settings(parameters))
        var run = try warm.run(from: windows.train.count)
        run.statistics.trades = run.orders.count
        return run
    }

    /// Chains the test runs' equity; the statistics of the stitched curve
    /// (``PortfolioBacktest/stitchedStatistics(dates:equity:runs:scales:span:)``).
    public func stitch(
        _ runs: [PortfolioResult],
        folds: [WalkForwardSpec.Windows]
    ) throws(BacktestError) -> (equity: [Double], statistics: Statistics) {
        let (equity, scales) = Self.chain(runs, cash: portfolio.settings.cash)
        let calendar = portfolio.dates
        let dates = folds.flatMap { $0.test.map { calendar[$0] } }
        guard let first = folds.first?.test.lowerBound, let last = folds.last?.test.upperBound, dates.count == equity.count else {
            throw BacktestError(code: .insufficientData, message: "walk_forward: the folds and their test runs do not match", field: "walk_forward")
        }
        let statistics = try portfolio.stitchedStatistics(dates: dates, equity: equity, runs: runs, scales: scales, span: first..<last)
        return (equity, statistics)
    }
}
