import ArgumentParser
import BacktestAPI
import BacktestEngine
import BacktestOptimize
import BacktestRules
import Foundation
import MarketData

/// `backtest bench`: times the engine (indicators, simulation and statistics; CSV parsing
/// excluded) and prints the median time per run and bars per second.
struct BenchCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "bench",
        abstract: "Benchmark the engine: median time per backtest and bars per second.",
        discussion: """
            With no case given it runs the two reference cases: sma_cross 10/30 on GOOG daily
            (2148 bars) and macd_cross 12/26/9 long+short with sl_pct 0.004 / tp_pct 0.008 on
            EURUSD hourly (5000 bars). Build with -c release for meaningful figures.
            With --client it measures the client and server end to end over loopback instead
            (against --server URL, or an embedded server with the result cache off).
            With --optimize it times whole searches on all cores: the reference grid (sma_cross on GOOG,
            fast 5..50:5, slow 10..200:10, fast < slow, maximize sqn, commission 0.002: 175 backtests)
            and a 10,000-combination grid (fast 1..100:1, slow 101..200:1).
            With --robustness it times CSCV (S = 16, 12,870 splits) over 10,000 synthetic trials.
            """
    )

    @Option(help: "CSV file for a custom case (needs --strategy).")
    var csv: String?

    @OptionGroup var engine: EngineOptions

    @Option(help: "Timed runs per case.")
    var runs: Int = 2000

    @Flag(help: "Print one JSON object per case: name, bars, runs, median_s, bars_per_s.")
    var json = false

    @Flag(help: "Benchmark the client end to end instead: six tickers, then 600 requests, single route vs runBatch.")
    var client = false

    @Flag(help: "Benchmark whole optimisations instead: the 175-combination reference grid and a 10,000-combination grid.")
    var optimize = false

    @Flag(help: "Benchmark CSCV instead: S = 16 (12,870 splits) over 10,000 trials.")
    var robustness = false

    @Option(
        help: ArgumentHelp(
            "Benchmark a portfolio request file instead: one run, then a 1,000-combination momentum search over its tickers.",
            valueName: "file"
        )
    )
    var portfolio: String?

    @Option(
        help: ArgumentHelp(
            "With --client: the server to measure, started with --no-cache (default: an embedded one, result cache off).",
            valueName: "url"
        )
    )
    var server: String?

    struct Case {
        var name: String
        var bars: Bars
        var settings: BacktestSettings
        var strategy: RequestStrategy
    }

    struct Figure: Encodable {
        var name: String
        var bars: Int
        var runs: Int
        var medianS: Double
        var barsPerS: Double
        /// Combinations per search (`--optimize` only).
        var combinations: Int?
        /// Backtests per second over the whole search (`--optimize` only).
        var backtestsPerS: Double?
        enum CodingKeys: String, CodingKey {
            case name, bars, runs, combinations
            case medianS = "median_s"
            case barsPerS = "bars_per_s"
            case backtestsPerS = "backtests_per_s"
        }
    }

    func run() async throws {
        guard runs >= 1 else { throw CLIError(message: "--runs must be >= 1") }
        if client {
            guard csv == nil, engine.isEmpty else { throw CLIError(message: "--client takes no engine case (--csv, --strategy, ...)") }
            try await ClientBenchmark(rounds: min(runs, 30)).run(server: server, json: json)
            return
        }
        guard server == nil else { throw CLIError(message: "--server needs --client") }
        if let portfolio {
            guard csv == nil, engine.isEmpty, !optimize else { throw CLIError(message: "--portfolio takes no other case") }
            try await benchmarkPortfolio(portfolio)
            return
        }
        if robustness {
            guard csv == nil, engine.isEmpty else { throw CLIError(message: "--robustness takes no engine case (--csv, --strategy, ...)") }
            try await benchmarkRobustness()
            return
        }
        if optimize {
            guard csv == nil, engine.isEmpty else { throw CLIError(message: "--optimize takes no engine case (--csv, --strategy, ...)") }
            try await benchmarkOptimizations()
            return
        }
        let cases = try makeCases()
        for c in cases {
            let figure = try Self.measure(c, runs: runs)
            if json {
                Terminal.stdout(try ReportJSON.encode(figure) + "\n")
            } else {
                Terminal.stdout(
                    String(
                        format: "%@  %d bars  %d runs  median %.2f µs/run  %.1f M bars/s\n",
                        c.name,
                        figure.bars,
                        figure.runs,
                        figure.medianS * 1e6,
                        figure.barsPerS / 1e6
                    )
                )
            }
        }
    }

    func makeCases() throws(CLIError) -> [Case] {
        if let csv {
            let request = try engine.request()
            do {
                let (settings, strategy) = try request.validated()
                let bars = try CSVBarsParser.load(path: csv)
                let name = "\(request.strategy) \(URL(fileURLWithPath: csv).lastPathComponent)"
                return [Case(name: name, bars: bars, settings: settings, strategy: strategy)]
            } catch {
                throw CLIError(error)
            }
        }
        guard engine.isEmpty else { throw CLIError(message: "engine flags need --csv FILE") }
        guard let goog = BundledData.benchmarkFile("GOOG.csv"), let eurusd = BundledData.benchmarkFile("EURUSD.csv") else {
            throw CLIError(message: "benchmark fixtures are missing from the installation", exitCode: 1)
        }
        do {
            return [
                Case(
                    name: "sma_cross(10,30) GOOG",
                    bars: try CSVBarsParser.load(path: goog.path),
                    settings: BacktestSettings(),
                    strategy: .builtin(try StrategyCatalog.make(name: "sma_cross", params: ["fast": .number(10), "slow": .number(30)]))
                ),
                // The same strategy in the rules language (goal: within 1.5x of the built-in).
                Case(
                    name: "rules sma_cross(10,30) GOOG",
                    bars: try CSVBarsParser.load(path: goog.path),
                    settings: BacktestSettings(),
                    strategy: .rules(
                        try RulesProgram.compile(BuiltinRules.source(for: "sma_cross") ?? "").strategy(params: [
                            "fast": .number(10), "slow": .number(30),
                        ])
                    )
                ),
                Case(
                    name: "macd_cross(12,26,9) long/short SL/TP EURUSD",
                    bars: try CSVBarsParser.load(path: eurusd.path),
                    settings: BacktestSettings(),
                    strategy: .builtin(
                        try StrategyCatalog.make(
                            name: "macd_cross",
                            params: ["fast": .number(12), "slow": .number(26), "signal": .number(9), "allow_short": .bool(true)],
                            brackets: Brackets(slPct: 0.004, tpPct: 0.008)
                        )
                    )
                ),
            ]
        } catch let error as MarketDataError {
            throw CLIError(message: error.description, exitCode: 1)
        } catch {
            throw CLIError(message: "\(error)", exitCode: 1)
        }
    }

    /// Times whole searches: the reference grid `min(runs, 50)` times, the 10,000-combination
    /// grid 3 times; prints the medians.
    func benchmarkOptimizations() async throws {
        guard let goog = BundledData.benchmarkFile("GOOG.csv") else {
            throw CLIError(message: "benchmark fixtures are missing from the installation", exitCode: 1)
        }
        let bars = try CSVBarsParser.load(path: goog.path)
        var request = BacktestRequest(strategy: "sma_cross")
        request.commission = Commission(relative: 0.002)
        let target = try StrategyTarget(bars: bars, request: request)
        let objective = try Objective(maximize: "sqn")
        let grids: [(name: String, axes: [String], constraint: String?, runs: Int)] = [
            (
                "optimize sma_cross GOOG fast 5..50:5 slow 10..200:10 (fast < slow)", ["fast=5..50:5", "slow=10..200:10"], "fast < slow",
                min(runs, 50)
            ),
            ("optimize sma_cross GOOG fast 1..100:1 slow 101..200:1", ["fast=1..100:1", "slow=101..200:1"], nil, 3),
        ]
        for grid in grids {
            let space = try SearchSpace(axes: grid.axes.map { try ParameterAxis(parsing: $0) }, constraint: grid.constraint)
            let optimizer = Optimizer(space: space, target: target, configuration: .init(objective: objective, topCount: 10))
            let plan = try optimizer.plan()
            _ = try await optimizer.run(plan)  // warm-up
            var samples: [Double] = []
            for _ in 0..<grid.runs {
                let clock = ContinuousClock()
                let start = clock.now
                _ = try await optimizer.run(plan)
                samples.append((clock.now - start).seconds)
            }
            samples.sort()
            let median = samples[samples.count / 2]
            let combinations = plan.order.count
            let figure = Figure(
                name: grid.name,
                bars: bars.count,
                runs: grid.runs,
                medianS: median,
                barsPerS: Double(bars.count * combinations) / median,
                combinations: combinations,
                backtestsPerS: Double(combinations) / median
            )
            if json {
                Terminal.stdout(try ReportJSON.encode(figure) + "\n")
            } else {
                Terminal.stdout(
                    String(
                        format: "%@  %d combinations  %d runs  median %.3f ms  %.0f backtests/s\n",
                        grid.name,
                        combinations,
                        grid.runs,
                        median * 1e3,
                        Double(combinations) / median
                    )
                )
            }
        }
    }

    static func measure(_ c: Case, runs: Int) throws(CLIError) -> Figure {
        let backtest = Backtest(bars: c.bars, settings: c.settings)
        var sink = 0.0
        var samples: [UInt64] = []
        samples.reserveCapacity(runs)
        do {
            for _ in 0..<max(10, runs / 10) { sink += try backtest.run(c.strategy).statistics.equityFinal }
            for _ in 0..<runs {
                let t0 = DispatchTime.now().uptimeNanoseconds
                let result = try backtest.run(c.strategy)
                let t1 = DispatchTime.now().uptimeNanoseconds
                sink += result.statistics.equityFinal
                samples.append(t1 - t0)
            }
        } catch {
            throw CLIError(message: error.message, exitCode: 1)
        }
        if sink.isNaN { Terminal.stderr("") }  // keeps the results alive
        samples.sort()
        let median = Double(samples[samples.count / 2]) / 1e9
        return Figure(name: c.name, bars: c.bars.count, runs: runs, medianS: median, barsPerS: Double(c.bars.count) / median)
    }
}
