import ArgumentParser
import BacktestAPI
import BacktestClient
import BacktestEngine
import BacktestOptimize
import BacktestReport
import BacktestResearch
import BacktestServer
import Foundation
import MarketData

/// `backtest optimize`: a parameter search (grid or random) on all cores.
struct OptimizeCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "optimize",
        abstract: "Search strategy parameters (grid or random) for the best statistic, on all cores.",
        discussion: """
            Combinations run in product order (the first --grid outermost); the constraint is applied \
            before any run; runs without trades are never chosen; of equal values the first wins \
            (backtesting.py 0.6.6's optimize). sl_pct and tp_pct can be grid parameters too.
            Examples:
              backtest optimize --csv GOOG.csv --strategy sma_cross --grid fast=5..50:5 --grid slow=10..200:10 \\
                --constraint 'fast < slow' --maximize sqn --commission 0.002
              backtest optimize --ticker AAPL --strategy rsi_reversion --grid period=5..30:1 --grid lower=20..40:5 \\
                --method random --max-tries 50 --seed 7 --maximize max_drawdown_pct --heatmap heat.csv
            Drawdowns are negative (as backtesting.py prints them): maximise max_drawdown_pct for the \
            shallowest one.
            """
    )

    @Option(help: "CSV file of bars (backtesting.py or Yahoo Finance layout).")
    var csv: String?

    @Option(help: ArgumentHelp("Ticker(s) of the local store (imported data, then the bundled sample set), comma-separated.", valueName: "t,..."))
    var ticker: String?

    @Option(help: ArgumentHelp("First date (YYYY-MM-DD).", valueName: "date"))
    var start: String?

    @Option(help: ArgumentHelp("Last date (YYYY-MM-DD, inclusive).", valueName: "date"))
    var end: String?

    @Option(
        name: .customLong("grid"),
        help: ArgumentHelp("A parameter and its values: KEY=V1,V2,… or KEY=LO..HI:STEP (repeatable, in order).", valueName: "spec")
    )
    var grids: [String] = []

    @Option(help: ArgumentHelp("Comparisons joined by 'and', e.g. 'fast < slow and slow <= 100'.", valueName: "expr"))
    var constraint: String?

    @Option(help: ArgumentHelp("Statistic to maximise, by its key (default sqn).", valueName: "stat"))
    var maximize: String?

    @Option(help: ArgumentHelp("Statistic to minimise, by its key (e.g. max_drawdown_pct).", valueName: "stat"))
    var minimize: String?

    @Option(
        help: ArgumentHelp(
            "The fewest trades a combination needs to be chosen (default 0); fewer: counted, listed, never chosen.",
            valueName: "n"
        )
    )
    var minTrades: Int?

    @Option(help: "grid (every admissible combination) or random (a reproducible sample).")
    var method: Method = .grid

    @Option(help: ArgumentHelp("With --method random: combinations to try (default 100).", valueName: "n"))
    var maxTries: Int?

    @Option(help: ArgumentHelp("With --method random: the generator's seed (default 0).", valueName: "n"))
    var seed: UInt64?

    @Option(help: ArgumentHelp("Statistics per combination, comma-separated (default: the objective and trades).", valueName: "list"))
    var stats: String?

    @Option(help: ArgumentHelp("Write every combination with its statistics to this CSV file.", valueName: "file"))
    var heatmap: String?

    @Option(help: ArgumentHelp("How many of the best combinations to print (default 10).", valueName: "n"))
    var top: Int = 10

    @Option(
        name: .customLong("walk-forward"),
        help: ArgumentHelp("Walk-forward analysis in bars: train=N,test=M[,step=K][,anchored].", valueName: "spec")
    )
    var walkForward: String?

    @Option(help: ArgumentHelp("Backtests at once (default: the number of cores).", valueName: "n"))
    var workers: Int?

    @Option(
        help: ArgumentHelp(
            "CSCV blocks of the robustness block, even, 2 to \(OptimizationRequest.maxRobustnessBlocks) (default: \(BlockLayout.searchRule())).",
            valueName: "S"
        )
    )
    var robustnessBlocks: Int?

    @Option(help: ArgumentHelp("Most combinations in the grid (default 1000000).", valueName: "n"))
    var maxCombinations: Int = SearchSpace.defaultLimit

    @OptionGroup var engine: EngineOptions

    @OptionGroup var database: DatabaseOptions

    @Option(help: "Output format: table, json, or csv (the top list).")
    var format: Format = .table

    enum Method: String, ExpressibleByArgument, CaseIterable { case grid, random }
    enum Format: String, ExpressibleByArgument, CaseIterable { case table, json, csv }

    /// The tickers of `--ticker`, upper-cased, in order.
    var tickers: [String] {
        (ticker ?? "").split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces).uppercased() }.filter { !$0.isEmpty }
    }

    @Option(
        help: ArgumentHelp("Also write an HTML report: heatmaps of each pair of parameters, the top list, walk-forward folds.", valueName: "file")
    )
    var html: String?

    @Flag(
        help: "With --ticker or --portfolio: run in this process on the local store (imported data, then the bundled set) instead of a server."
    )
    var local = false

    @Option(
        help: ArgumentHelp(
            "Search a portfolio instead of a strategy: a portfolio request file (see `backtest portfolio`); the grid varies lookback, top, every, commission. Runs on the server unless --local.",
            valueName: "file"
        )
    )
    var portfolio: String?

    @OptionGroup var remote: RemoteOptions

    func run() async throws {
        if let portfolio {
            try await runPortfolio(portfolio)
            return
        }
        if csv == nil, !local {
            try await runRemote()
            return
        }
        if tickers.count > 1 {
            try await runTickers(tickers)
            return
        }
        let (searchOptimizer, source, barCount) = try makeOptimizer(ticker: tickers.first)
        Self.noteDrawdown(searchOptimizer.configuration.objective)
        if let walkForward {
            try await runWalkForward(searchOptimizer, spec: walkForward, source: source)
            return
        }
        let optimizer = withRobustness(searchOptimizer)
        let plan: Optimizer<StrategyTarget>.Plan
        do {
            plan = try optimizer.plan()
        } catch {
            throw CLIError(message: error.message)
        }
        let reporter = ProgressReporter(enabled: true, terminal: Terminal.stderrIsTerminal)
        let grid = Locked(
            ObjectiveGrid(axes: optimizer.space.axes, objective: optimizer.configuration.objective, column: optimizer.objectiveColumn)
        )
        var sink: HeatmapSink?
        if let heatmap {
            sink = try HeatmapSink(
                path: heatmap,
                csv: HeatmapCSV(parameters: optimizer.space.axes.map(\.name), statistics: optimizer.configuration.statistics.map(\.name))
            )
        }
        let result: OptimizationResult
        do {
            result = try await optimizer.run(
                plan,
                progress: { reporter.report(BatchProgress(done: $0.done, total: $0.total, failed: 0, elapsed: $0.elapsed)) },
                rows: { rows in
                    try sink?.write(rows)
                    if html != nil { grid.update { $0.add(rows) } }
                }
            )
            try sink?.close()
        } catch let error as OptimizeError {
            reporter.finish()
            throw CLIError(message: error.message, exitCode: 1)
        } catch let error as CLIError {
            reporter.finish()
            throw error
        }
        reporter.finish()
        var report = OptimizationReport(result: result, optimizer: optimizer)
        // The block first: the page shows it too (its Robustness panel).
        let robustness: RobustnessSummary?
        do {
            robustness = try optimizer.robustness(of: result, plan: plan)
        } catch {
            throw CLIError(message: error.message, exitCode: 1)
        }
        report.robustness = robustness
        if let html {
            let page = OptimizationPage(title: pageTitle(source), subtitle: pageSubtitle(optimizer), report: report, grid: grid.read { $0 })
            try BatchCommand.write(try page.html(), to: html)
        }
        Terminal.stdout(
            try Self.render(report, robustness: robustness, format: format, source: source, bars: barCount, strategy: engine.strategy ?? "")
        )
    }

    /// `sma_cross on GOOG.csv: grid search, maximize sqn`.
    func pageTitle(_ source: String) -> String {
        let objective = (try? searchRequest().searchObjective()).map { "\($0)" } ?? ""
        let kind = walkForward != nil ? "walk-forward" : "\(method.rawValue) search"
        return "\(engine.strategy ?? "") on \(source): \(kind), \(objective)"
    }

    /// Dates, combinations and settings.
    func pageSubtitle(_ optimizer: Optimizer<StrategyTarget>) -> String {
        let request = (try? searchRequest().backtest) ?? BacktestRequest(strategy: engine.strategy ?? "")
        return "\(HTMLReport.dateRange(optimizer.target.bars)) · \(optimizer.space.count) combinations" + HTMLReport.settingsSummary(request)
    }

    /// Drawdowns are negative: minimising one picks the deepest.
    static func noteDrawdown(_ objective: Objective) {
        if !objective.maximizes, ["max_drawdown_pct", "avg_drawdown_pct"].contains(objective.statistic.name) {
            Terminal.stderr(
                "note: \(objective.statistic.name) is negative; --minimize picks the deepest drawdown (--maximize picks the shallowest)\n"
            )
        }
    }

    /// The search these flags describe (the body of `POST /v1/optimizations`), after the
    /// checks only the command line needs.
    func searchRequest() throws(CLIError) -> OptimizationRequest {
        guard (csv == nil) != (ticker == nil) else { throw CLIError(message: "give the data: --csv FILE or --ticker T (one of them)") }
        if walkForward != nil, heatmap != nil { throw CLIError(message: "--heatmap does not go with --walk-forward") }
        if walkForward != nil, tickers.count > 1 { throw CLIError(message: "--walk-forward takes one ticker") }
        if heatmap != nil, tickers.count > 1, local { throw CLIError(message: "--heatmap takes one ticker with --local (or --csv)") }
        if let workers, workers < 1 { throw CLIError(message: "--workers must be at least 1") }
        guard maxCombinations >= 1 else { throw CLIError(message: "--max-combinations must be at least 1") }
        if local, csv != nil { throw CLIError(message: "--local goes with --ticker (a --csv search always runs here)") }
        var backtest = try engine.request()
        backtest.start = start
        backtest.end = end
        backtest.ticker = tickers.count == 1 ? tickers[0] : nil
        return OptimizationRequest(
            backtest: backtest,
            tickers: tickers.count > 1 ? tickers : nil,
            grid: grids,
            constraint: constraint,
            maximize: maximize,
            minimize: minimize,
            method: method.rawValue,
            maxTries: maxTries,
            seed: seed,
            stats: stats.map { $0.split(separator: ",").map(String.init) },
            top: top,
            walkForward: walkForward,
            minTrades: minTrades,
            robustnessBlocks: robustnessBlocks
        )
    }

    /// The optimizer these flags describe on `ticker` (or `--csv`), the data's name and its bar count.
    func makeOptimizer(ticker: String?) throws(CLIError) -> (Optimizer<StrategyTarget>, String, Int) {
        let request = try searchRequest()
        do {
            let bars = try LocalBars.load(csv: csv, ticker: ticker, request: request.backtest, database: database.path)
            let target = try StrategyTarget(bars: bars, request: request.backtest)
            let optimizer = try request.optimizer(target: target, limit: maxCombinations, concurrency: workers)
            let source = csv.map { URL(fileURLWithPath: $0).lastPathComponent } ?? ticker ?? ""
            return (optimizer, source, bars.count)
        } catch let error as OptimizeError {
            throw CLIError(message: error.message)
        } catch {
            throw CLIError(error)
        }
    }
}

/// A value the search's row callback updates (an ``ObjectiveGrid``, an
/// ``ObjectiveRanking``), behind a lock.
final class Locked<Value>: @unchecked Sendable {
    private var value: Value
    private let lock = NSLock()

    init(_ value: Value) {
        self.value = value
    }

    /// Changes the value.
    func update(_ change: (inout Value) -> Void) {
        lock.withLock { change(&value) }
    }

    /// Reads the value.
    func read<T>(_ body: (Value) -> T) -> T {
        lock.withLock { body(value) }
    }
}

/// Writes the heatmap CSV as rows arrive.
final class HeatmapSink {
    let handle: FileHandle
    let csv: HeatmapCSV
    let path: String

    init(path: String, csv: HeatmapCSV) throws(CLIError) {
        guard FileManager.default.createFile(atPath: path, contents: Data(csv.header.utf8)), let handle = FileHandle(forWritingAtPath: path) else {
            throw CLIError(message: "--heatmap: cannot write \(path)")
        }
        handle.seekToEndOfFile()
        self.handle = handle
        self.csv = csv
        self.path = path
    }

    func write(_ rows: [HeatmapRow]) throws {
        do {
            try handle.write(contentsOf: Data(csv.lines(rows).utf8))
        } catch {
            throw CLIError(message: "--heatmap: cannot write \(path): \(error.localizedDescription)", exitCode: 1)
        }
    }

    func close() throws {
        try handle.close()
    }
}
