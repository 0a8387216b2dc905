import BacktestAPI
import BacktestClient
import BacktestEngine
import BacktestOptimize
import BacktestReport
import Foundation

extension OptimizeCommand {
    /// `--ticker A,B,C --local`: the same search on each ticker, then the combinations ranked
    /// by their mean objective across the tickers (``ObjectiveRanking``).
    func runTickers(_ tickers: [String]) async throws {
        var optimizers: [(String, Optimizer<StrategyTarget>)] = []
        for ticker in tickers { optimizers.append((ticker, try makeOptimizer(ticker: ticker).0)) }
        guard let first = optimizers.first?.1 else { return }
        Self.noteDrawdown(first.configuration.objective)
        let plan: Optimizer<StrategyTarget>.Plan
        do {
            plan = try first.plan()
            for (_, optimizer) in optimizers.dropFirst() { _ = try optimizer.plan() }
        } catch {
            throw CLIError(message: error.message)
        }
        let reporter = ProgressReporter(enabled: true, terminal: Terminal.stderrIsTerminal)
        let ranking = Locked(
            ObjectiveRanking(count: plan.order.count, objective: first.configuration.objective, column: first.objectiveColumn)
        )
        var results: [(ticker: String, result: OptimizationResult)] = []
        do {
            for (i, (ticker, optimizer)) in optimizers.enumerated() {
                let result = try await optimizer.run(
                    plan,
                    progress: { p in
                        reporter.report(BatchProgress(done: i * p.total + p.done, total: tickers.count * p.total, failed: 0, elapsed: p.elapsed))
                    },
                    rows: { rows in ranking.update { $0.add(rows) } }
                )
                results.append((ticker, result))
            }
        } catch let error as OptimizeError {
            reporter.finish()
            throw CLIError(message: error.message, exitCode: 1)
        }
        reporter.finish()
        var report = OptimizationReport(
            tickers: results,
            ranking: ranking.read { $0.ranked(names: first.space.axes.map(\.name), top: top) },
            optimizer: first
        )
        report.noteCoverage(optimizers.map(\.1.target.coverage))
        if let html {
            let page = OptimizationPage(title: pageTitle(tickers.joined(separator: ", ")), subtitle: pageSubtitle(first), report: report)
            try BatchCommand.write(try page.html(), to: html)
        }
        Terminal.stdout(try report.render(format, source: tickers.joined(separator: ","), bars: nil, strategy: engine.strategy ?? ""))
    }
}
