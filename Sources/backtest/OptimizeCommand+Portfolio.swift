import BacktestAPI
import BacktestClient
import BacktestEngine
import BacktestOptimize
import BacktestResearch
import Foundation

extension OptimizeCommand {
    /// `--portfolio FILE`: a search over a portfolio's parameters (`lookback`, `top`,
    /// `every`, `commission`). It runs on the server (resolved like `batch`'s; with none, an
    /// embedded one) as `POST /v1/optimizations` with `portfolio`, with live progress,
    /// `--heatmap` and `--html` from the server; `--local` runs it in this process on the
    /// local store, with the robustness block. The objective defaults to `sharpe_ratio` (a
    /// portfolio has no trade statistics such as SQN).
    func runPortfolio(_ path: String) async throws {
        guard csv == nil, ticker == nil else { throw CLIError(message: "--portfolio gives the data; drop --csv and --ticker") }
        guard walkForward == nil else {
            throw CLIError(message: "--portfolio searches run as grid or random searches (no --walk-forward)")
        }
        if local, heatmap != nil || html != nil {
            throw CLIError(message: "--heatmap and --html with --portfolio come from the server; drop --local")
        }
        let data: Data
        do {
            data = try Data(contentsOf: URL(fileURLWithPath: path))
        } catch {
            throw CLIError(message: "--portfolio: cannot read \(path)")
        }
        let body = try PortfolioFlags.decode(data, source: path)
        if !local {
            do {
                try body.validate()
            } catch {
                throw CLIError(error)
            }
            try await runRemote(
                portfolioSearch(body),
                source: body.tickers.joined(separator: ","),
                strategy: "portfolio (\(body.allocation.name))"
            )
            return
        }
        let search = portfolioSearch(body)
        let optimizer: Optimizer<PortfolioTarget>
        let plan: Optimizer<PortfolioTarget>.Plan
        do {
            try body.validate()
            let bars = try PortfolioBars.load(body, csv: [:], database: database.path)
            let target = PortfolioTarget(portfolio: try PortfolioBacktest(tickers: body.tickers, bars: bars, settings: body.settings))
            optimizer = Self.withRobustness(try search.optimizer(target: target, limit: maxCombinations, concurrency: workers))
            plan = try optimizer.plan()
        } catch let error as OptimizeError {
            throw CLIError(message: error.message)
        } catch {
            throw CLIError(error)
        }
        let reporter = ProgressReporter(enabled: true, terminal: Terminal.stderrIsTerminal)
        let result: OptimizationResult
        do {
            result = try await optimizer.run(
                plan,
                progress: { reporter.report(BatchProgress(done: $0.done, total: $0.total, failed: 0, elapsed: $0.elapsed)) },
                rows: { _ in }
            )
        } catch let error as OptimizeError {
            reporter.finish()
            throw CLIError(message: error.message, exitCode: 1)
        }
        reporter.finish()
        let report = OptimizationReport(result: result, optimizer: optimizer)
        let robustness: RobustnessSummary?
        do {
            robustness = try optimizer.robustness(of: result, plan: plan)
        } catch {
            throw CLIError(message: error.message, exitCode: 1)
        }
        let source = body.tickers.joined(separator: ",")
        let bars = optimizer.target.portfolio.run().dates.count
        Terminal.stdout(
            try Self.render(
                report,
                robustness: robustness,
                format: format,
                source: source,
                bars: bars,
                strategy: "portfolio (\(body.allocation.name))"
            )
        )
    }

    /// The search of `body` these flags describe (`POST /v1/optimizations` with `portfolio`).
    func portfolioSearch(_ body: PortfolioRequest) -> OptimizationRequest {
        OptimizationRequest(
            backtest: BacktestRequest(strategy: "buy_and_hold"),
            grid: grids,
            constraint: constraint,
            maximize: maximize ?? (minimize == nil ? "sharpe_ratio" : nil),
            minimize: minimize,
            method: method.rawValue,
            maxTries: maxTries,
            seed: seed,
            stats: stats.map { $0.split(separator: ",").map(String.init) },
            top: top,
            minTrades: minTrades,
            portfolio: body
        )
    }
}
