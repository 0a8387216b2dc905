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
    /// portfolio has no trade statistics such as SQN). `--walk-forward` counts the
    /// portfolio's calendar bars.
    func runPortfolio(_ path: String) async throws {
        guard csv == nil, ticker == nil else { throw CLIError(message: "--portfolio gives the data; drop --csv and --ticker") }
        if walkForward != nil, heatmap != nil { throw CLIError(message: "--heatmap does not go with --walk-forward") }
        if let walkForward {
            do {
                _ = try WalkForwardSpec(parsing: walkForward)
            } catch {
                throw CLIError(message: error.message)
            }
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
        let searched: Optimizer<PortfolioTarget>
        do {
            try body.validate()
            let bars = try PortfolioBars.load(body, csv: [:], database: database.path)
            let target = PortfolioTarget(portfolio: try PortfolioBacktest(tickers: body.tickers, bars: bars, settings: body.settings))
            searched = try search.optimizer(target: target, limit: maxCombinations, concurrency: workers)
        } catch let error as OptimizeError {
            throw CLIError(message: error.message)
        } catch {
            throw CLIError(error)
        }
        let strategy = "portfolio (\(body.allocation.name))"
        if walkForward != nil {
            try await runPortfolioWalkForward(searched, source: body.tickers.joined(separator: ","), strategy: strategy)
            return
        }
        let optimizer = withRobustness(searched)
        let plan: Optimizer<PortfolioTarget>.Plan
        do {
            plan = try optimizer.plan()
        } catch {
            throw CLIError(message: error.message)
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
                strategy: strategy
            )
        )
    }

    /// `--portfolio FILE --walk-forward SPEC --local`: the analysis in this process; the
    /// folds are checked against the calendar (and the grid against the first training
    /// window) before anything runs.
    func runPortfolioWalkForward(_ optimizer: Optimizer<PortfolioTarget>, source: String, strategy: String) async throws {
        let spec: WalkForwardSpec
        do {
            spec = try WalkForwardSpec(parsing: walkForward ?? "")
            _ = try optimizer.plan()
            _ = try optimizer.checkedFolds(spec)
        } catch {
            throw CLIError(message: error.message)
        }
        let result = try await Self.walkForward(optimizer, spec: spec)
        let report = OptimizationReport(walkForward: result, optimizer: optimizer, spec: spec)
        Terminal.stdout(try report.render(format, source: source, bars: optimizer.target.barCount, strategy: strategy))
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
            walkForward: walkForward,
            minTrades: minTrades,
            portfolio: body,
            robustnessBlocks: robustnessBlocks
        )
    }
}
