import ArgumentParser
import BacktestAPI
import BacktestEngine
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
        var strategy: BuiltinStrategy
    }

    struct Figure: Encodable {
        var name: String
        var bars: Int
        var runs: Int
        var medianS: Double
        var barsPerS: Double
        enum CodingKeys: String, CodingKey {
            case name, bars, runs
            case medianS = "median_s"
            case barsPerS = "bars_per_s"
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
                    strategy: try StrategyCatalog.make(name: "sma_cross", params: ["fast": .number(10), "slow": .number(30)])
                ),
                Case(
                    name: "macd_cross(12,26,9) long/short SL/TP EURUSD",
                    bars: try CSVBarsParser.load(path: eurusd.path),
                    settings: BacktestSettings(),
                    strategy: try StrategyCatalog.make(
                        name: "macd_cross",
                        params: ["fast": .number(12), "slow": .number(26), "signal": .number(9), "allow_short": .bool(true)],
                        brackets: Brackets(slPct: 0.004, tpPct: 0.008)
                    )
                ),
            ]
        } catch let error as MarketDataError {
            throw CLIError(message: error.description, exitCode: 1)
        } catch {
            throw CLIError(message: "\(error)", exitCode: 1)
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
