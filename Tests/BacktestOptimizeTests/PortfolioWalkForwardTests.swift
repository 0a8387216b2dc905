import BacktestAPI
import BacktestEngine
import BacktestOptimize
import MarketData
import Testing

/// Walk-forward analyses over a portfolio (`PortfolioTarget` as a `WalkForwardTarget`): folds
/// in calendar bars, each fold's winner run over its training and test bars deciding only in
/// the test window, the test runs stitched.
@Suite("Portfolio walk-forward")
struct PortfolioWalkForwardTests {
    /// The bundled bars of `tickers` from `start` to `end`.
    static func bars(_ tickers: [String], _ start: String, _ end: String) throws -> [Bars] {
        let store = CSVBarStore(configuration: .init())
        return try tickers.map { try store.bars(for: $0, from: Timestamp.parse(start), through: Timestamp.parse(end)).bars }
    }

    static let tickers = ["AAPL", "AMZN", "GOOG", "META", "NFLX"]

    static func portfolio(_ allocation: PortfolioAllocation, _ schedule: RebalanceSchedule = .monthly) throws -> PortfolioBacktest {
        try PortfolioBacktest(
            tickers: tickers,
            bars: try bars(tickers, "2016-01-01", "2020-12-31"),
            settings: PortfolioSettings(allocation: allocation, schedule: schedule, commission: 0.001)
        )
    }

    /// The same statistics, field by field (NaN equal to NaN).
    static func same(_ a: Statistics, _ b: Statistics) -> Bool {
        let pairs: [(Double, Double)] = [
            (a.returnPct, b.returnPct), (a.returnAnnPct, b.returnAnnPct), (a.volatilityAnnPct, b.volatilityAnnPct),
            (a.sharpeRatio, b.sharpeRatio), (a.sortinoRatio, b.sortinoRatio), (a.calmarRatio, b.calmarRatio),
            (a.maxDrawdownPct, b.maxDrawdownPct), (a.avgDrawdownPct, b.avgDrawdownPct), (a.equityFinal, b.equityFinal),
            (a.equityPeak, b.equityPeak), (a.exposureTimePct, b.exposureTimePct), (a.commissions, b.commissions),
            (a.buyHoldReturnPct, b.buyHoldReturnPct), (a.cagrPct, b.cagrPct),
        ]
        return pairs.allSatisfy { $0 == $1 || ($0.isNaN && $1.isNaN) } && a.start == b.start && a.end == b.end
    }

    @Test(
        "where no lookback reaches back (equal, fixed), a fold's test run is a plain run over the test window, bit for bit",
        arguments: [
            (PortfolioAllocation.equal, RebalanceSchedule.monthly),
            (.fixed(["AAPL": 0.5, "NFLX": 0.3]), .weekly),
            (.equal, .everyNBars(15)),
        ]
    )
    func testRunIsAPlainRun(allocation: PortfolioAllocation, schedule: RebalanceSchedule) throws {
        let portfolio = try Self.portfolio(allocation, schedule)
        let target = PortfolioTarget(portfolio: portfolio)
        let windows = WalkForwardSpec.Windows(train: 100..<400, test: 400..<650)
        let run = try target.testRun(["commission": .number(0.001)], windows: windows)

        let dates = portfolio.dates
        let window = try Self.bars(Self.tickers, Timestamp.formatDate(dates[400]), Timestamp.formatDate(dates[649]))
        let plain = try PortfolioBacktest(tickers: Self.tickers, bars: window, settings: portfolio.settings).run()
        #expect(run.dates == plain.dates && run.dates.count == 250)
        #expect(run.equity == plain.equity)
        #expect(run.orders == plain.orders && !run.orders.isEmpty)
        #expect(run.decisions == plain.decisions)
        #expect(run.positions == plain.positions && run.cash == plain.cash)
        #expect(Self.same(run.statistics, plain.statistics))
        #expect(run.statistics.trades == plain.orders.count)
    }

    @Test("a momentum winner decides from the test window's first bar with its lookback warm from the training bars")
    func momentumStartsWarm() throws {
        let portfolio = try Self.portfolio(.momentum(lookback: 60, top: 2))
        let target = PortfolioTarget(portfolio: portfolio)
        let windows = WalkForwardSpec.Windows(train: 0..<300, test: 300..<500)
        let run = try target.testRun([:], windows: windows)
        #expect(run.equity.count == 200 && run.equity[0] == portfolio.settings.cash)
        // Bar 0 of the test window is a decision bar and, with 60 bars behind it, picks 2 tickers.
        let first = try #require(run.decisions.first)
        #expect(first.bar == 0 && first.weights.filter { $0 > 0 }.count == 2)
        #expect(run.orders.allSatisfy { $0.bar >= 1 } && run.orders.first?.bar == 1)
        // A plain run over the test window alone sees no 60-bar history on its first bar.
        let cold = try portfolio.restricted(to: windows.test).run()
        #expect(cold.decisions.first?.weights.allSatisfy { $0 == 0 } == true)
        // The whole run (training bars included) held cash until the test window.
        let warm = try portfolio.restricted(to: 0..<500)
        let part = try warm.run(from: 300)
        #expect(part.equity == run.equity && part.orders == run.orders)
    }

    @Test("each fold's winner is the training window's optimum; the stitched curve chains the test runs")
    func walkForward() async throws {
        let target = PortfolioTarget(portfolio: try Self.portfolio(.momentum(lookback: 60, top: 2)))
        let space = try SearchSpace(axes: [try ParameterAxis(parsing: "lookback=20..100:40"), try ParameterAxis(parsing: "top=1..3:1")])
        let optimizer = Optimizer(space: space, target: target, configuration: .init(objective: try Objective(maximize: "sharpe_ratio")))
        let spec = try WalkForwardSpec(parsing: "train=400,test=200")
        let result = try await optimizer.walkForward(spec)
        let windows = try spec.folds(barCount: target.barCount)
        #expect(target.barCount == 1259 && windows.count == 5 && result.folds.count == 5)
        var expected: [Double] = []
        var scale = 1.0
        var fills = 0
        for (fold, window) in zip(result.folds, windows) {
            let alone = try await Optimizer(space: space, target: try target.restricted(to: window.train), configuration: optimizer.configuration)
                .run()
            #expect(fold.best.parameters.map(\.value) == alone.best.parameters.map(\.value))
            #expect(fold.best.statistics.sharpeRatio == alone.best.statistics.sharpeRatio)
            let parameters = Dictionary(uniqueKeysWithValues: fold.best.parameters.map { ($0.name, $0.value) })
            let test = try target.testRun(parameters, windows: window)
            #expect(test.equity.count == window.test.count)
            #expect(fold.outOfSample.sharpeRatio == test.statistics.sharpeRatio || fold.outOfSample.sharpeRatio.isNaN)
            expected += test.equity.map { $0 * scale }
            scale *= (test.equity.last ?? 0) / target.portfolio.settings.cash
            fills += test.orders.count
        }
        #expect(result.equity == expected)
        #expect(result.statistics.equityFinal == expected.last)
        #expect(result.statistics.trades == fills && fills > 0)
        #expect(result.statistics.start == target.timestamps[400] && result.statistics.end == target.timestamps[1258])
        // The report names the folds' windows by the calendar's dates.
        let report = OptimizationReport(walkForward: result, optimizer: optimizer, spec: spec)
        #expect(report.folds.count == 5 && report.folds[0].train.bars == 400 && report.folds[0].test.bars == 200)
        #expect(report.folds[0].test.start == Timestamp.format(target.timestamps[400]))
    }

    @Test("a training window too short for the grid's lookback, or a calendar too short for a fold, is refused naming walk_forward")
    func refused() throws {
        let target = PortfolioTarget(portfolio: try Self.portfolio(.momentum(lookback: 60, top: 2)))
        let space = try SearchSpace(axes: [try ParameterAxis(parsing: "lookback=20..120:50")])
        let optimizer = Optimizer(space: space, target: target, configuration: .init(objective: try Objective(maximize: "sharpe_ratio")))
        for (text, fragment) in [("train=100,test=50", "lookback"), ("train=1258,test=50", "1259 bars")] {
            do {
                _ = try optimizer.checkedFolds(try WalkForwardSpec(parsing: text))
                Issue.record("\(text) was accepted")
            } catch {
                #expect(error.code == .invalidWalkForward && error.field == "walk_forward")
                #expect(error.message.contains(fragment), "\(error.message)")
            }
        }
        #expect(try optimizer.checkedFolds(try WalkForwardSpec(parsing: "train=200,test=100")).count == 11)
    }

    @Test("a ticker without a bar in a window is never held there; the others trade")
    func tickerMissingFromAWindow() throws {
        let tickers = ["AAPL", "MSFT", "NVDA"]
        let portfolio = try PortfolioBacktest(
            tickers: tickers,
            bars: try Self.bars(tickers, "2014-01-01", "2016-12-31"),
            settings: PortfolioSettings(allocation: .equal, schedule: .monthly)
        )
        // MSFT's bars start on 2015-04-01: the first 200 bars have none of them.
        let early = try portfolio.restricted(to: 0..<200)
        let run = early.run()
        #expect(run.equity.count == 200 && !run.orders.isEmpty)
        #expect(run.orders.allSatisfy { tickers[$0.ticker] != "MSFT" })
        let target = PortfolioTarget(portfolio: portfolio)
        let test = try target.testRun([:], windows: WalkForwardSpec.Windows(train: 0..<200, test: 200..<400))
        #expect(test.orders.contains { tickers[$0.ticker] == "MSFT" })
    }
}
