import BacktestAPI
import BacktestEngine
import BacktestOptimize
import Foundation

extension BenchCommand {
    /// `--portfolio FILE`: the median time of one portfolio backtest with its calendar built
    /// (union of dates, last closes), then of the run alone (decisions, fills, equity and
    /// statistics; the bars loaded once beforehand), then a
    /// 1,000-combination momentum search over the same tickers and window (lookback 2…201 ×
    /// top 1…5) on all cores.
    func benchmarkPortfolio(_ path: String) async throws {
        let data: Data
        do {
            data = try Data(contentsOf: URL(fileURLWithPath: path))
        } catch {
            throw CLIError(message: "--portfolio: cannot read \(path)")
        }
        let body = try PortfolioFlags.decode(data, source: path)
        let bars: [Bars]
        let portfolio: PortfolioBacktest
        do {
            try body.validate()
            bars = try PortfolioBars.load(body, csv: [:], database: nil)
            portfolio = try PortfolioBacktest(tickers: body.tickers, bars: bars, settings: body.settings)
        } catch {
            throw CLIError(error)
        }
        let name = "portfolio \(body.allocation.name) \(body.tickers.count) tickers"
        var times: [Double] = []
        times.reserveCapacity(runs)
        var sink = 0.0
        for _ in 0..<runs {
            let start = DispatchTime.now().uptimeNanoseconds
            do {
                sink += try PortfolioBacktest(tickers: body.tickers, bars: bars, settings: body.settings).run().equity.last ?? 0
            } catch {
                throw CLIError(error)
            }
            times.append(Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9)
        }
        times.sort()
        let calendarBars = portfolio.run().dates.count
        try emit(Figure(name: name + " with calendar", bars: calendarBars, runs: runs, medianS: times[times.count / 2], barsPerS: 0))
        // The run alone, on a portfolio whose calendar is built (as a search's combinations
        // share it, and as the single-ticker bench times runs on loaded bars).
        times.removeAll(keepingCapacity: true)
        for _ in 0..<runs {
            let start = DispatchTime.now().uptimeNanoseconds
            sink += portfolio.run().equity.last ?? 0
            times.append(Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9)
        }
        times.sort()
        let median = times[times.count / 2]
        try emit(Figure(name: name, bars: calendarBars, runs: runs, medianS: median, barsPerS: Double(calendarBars) / median))
        try await benchmarkPortfolioSearch(portfolio, name: body.tickers.joined(separator: ","))
        if sink.isNaN { Terminal.stderr("") }
    }

    private func benchmarkPortfolioSearch(_ portfolio: PortfolioBacktest, name: String) async throws {
        var settings = portfolio.settings
        settings.allocation = .momentum(lookback: 20, top: 1)
        if settings.schedule == nil { settings.schedule = .monthly }
        do {
            let target = PortfolioTarget(portfolio: try portfolio.with(settings: settings))
            let search = OptimizationRequest(
                backtest: BacktestRequest(strategy: "buy_and_hold"),
                grid: ["lookback=2..201:1", "top=1..\(min(5, portfolio.tickers.count)):1"],
                maximize: "sharpe_ratio"
            )
            let optimizer = try search.optimizer(target: target)
            var times: [Double] = []
            let rounds = max(1, min(runs / 100, 10))
            var combinations = 0
            for _ in 0..<rounds {
                let start = DispatchTime.now().uptimeNanoseconds
                combinations = try await optimizer.run().evaluated
                times.append(Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9)
            }
            times.sort()
            let median = times[times.count / 2]
            try emit(
                Figure(
                    name: "portfolio momentum search \(name)",
                    bars: 0,
                    runs: rounds,
                    medianS: median,
                    barsPerS: 0,
                    combinations: combinations,
                    backtestsPerS: Double(combinations) / median
                )
            )
        } catch let error as OptimizeError {
            throw CLIError(message: error.message)
        } catch {
            throw CLIError(error)
        }
    }

    private func emit(_ figure: Figure) throws {
        if json {
            Terminal.stdout(try ReportJSON.encode(figure) + "\n")
        } else if let combinations = figure.combinations {
            Terminal.stdout(
                String(
                    format: "%@  %d combinations  median %.2f ms/search  %.0f backtests/s\n",
                    figure.name,
                    combinations,
                    figure.medianS * 1e3,
                    figure.backtestsPerS ?? 0
                )
            )
        } else {
            Terminal.stdout(
                String(format: "%@  %d bars  %d runs  median %.2f µs/run\n", figure.name, figure.bars, figure.runs, figure.medianS * 1e6)
            )
        }
    }
}
