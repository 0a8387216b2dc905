import BacktestAPI
import BacktestClient
import BacktestEngine
import BacktestOptimize
import Foundation

extension OptimizeCommand {
    /// `--walk-forward`: the search on each training window, its winner on the next test
    /// window, and the stitched out-of-sample result.
    func runWalkForward(_ optimizer: Optimizer<BuiltinTarget>, spec text: String, source: String) async throws {
        let spec: WalkForwardSpec
        do {
            spec = try WalkForwardSpec(parsing: text)
            _ = try spec.folds(barCount: optimizer.target.barCount)
            _ = try optimizer.plan()
        } catch {
            throw CLIError(message: error.message)
        }
        let reporter = ProgressReporter(enabled: true, terminal: Terminal.stderrIsTerminal)
        let result: WalkForwardResult
        do {
            result = try await optimizer.walkForward(spec) {
                reporter.report(BatchProgress(done: $0.done, total: $0.total, failed: 0, elapsed: $0.elapsed))
            }
        } catch let error as OptimizeError {
            reporter.finish()
            throw CLIError(message: error.message, exitCode: 1)
        } catch let error as BacktestError {
            reporter.finish()
            throw CLIError(message: error.message, exitCode: 1)
        }
        reporter.finish()
        let report = WalkForwardReport(result: result, optimizer: optimizer, spec: spec)
        switch format {
        case .json: Terminal.stdout(try ReportJSON.encode(report) + "\n")
        case .csv: Terminal.stdout(report.csv())
        case .table: Terminal.stdout(report.table(source: source, strategy: engine.strategy ?? ""))
        }
    }
}

/// A walk-forward analysis as JSON: `best` (the last fold's winner, the parameters to trade
/// next, with the stitched out-of-sample statistics), `top` (empty), `folds`.
struct WalkForwardReport: Encodable {
    struct Window: Encodable {
        var start: String
        var end: String
        var bars: Int
    }

    struct Fold: Encodable {
        var train: Window
        var test: Window
        var params: OrderedParameters
        var inSample: Double?
        var stats: Statistics

        enum CodingKeys: String, CodingKey {
            case train, test, params, stats
            case inSample = "in_sample_objective"
        }
    }

    var best: OptimizeReport.Best
    var top: [OptimizeReport.Entry] = []
    var folds: [Fold]
    var objective: OptimizeReport.Objective
    var walkForward: String

    enum CodingKeys: String, CodingKey {
        case best, top, folds, objective
        case walkForward = "walk_forward"
    }

    private let objectiveKey: StatisticKey

    init(result: WalkForwardResult, optimizer: Optimizer<BuiltinTarget>, spec: WalkForwardSpec) {
        let bars = optimizer.target.bars
        func window(_ range: Range<Int>) -> Window {
            Window(
                start: Timestamp.format(bars.timestamps[range.lowerBound]),
                end: Timestamp.format(bars.timestamps[range.upperBound - 1]),
                bars: range.count
            )
        }
        folds = result.folds.map { fold in
            Fold(
                train: window(fold.windows.train),
                test: window(fold.windows.test),
                params: OrderedParameters(fold.best.parameters),
                inSample: fold.best.objective,
                stats: fold.outOfSample
            )
        }
        let last = result.folds.last?.best.parameters ?? []
        let objective = optimizer.configuration.objective
        objectiveKey = objective.statistic
        best = OptimizeReport.Best(params: OrderedParameters(last), objective: objective.value(of: result.statistics), stats: result.statistics)
        self.objective = OptimizeReport.Objective(statistic: objective.statistic.name, direction: objective.maximizes ? "maximize" : "minimize")
        walkForward = spec.description
    }

    /// The folds (windows, winner, in- and out-of-sample objective), then the stitched statistics.
    func table(source: String, strategy: String) -> String {
        var out = "\(source): walk-forward \(walkForward), \(folds.count) folds, \(objective.direction) \(objective.statistic)\n\n"
        let header = ["fold", "train", "test", "params", "in-sample", "out-of-sample", "trades"]
        var rows = [header]
        for (i, fold) in folds.enumerated() {
            rows.append([
                "\(i + 1)", "\(fold.train.start.prefix(10))..\(fold.train.end.prefix(10))",
                "\(fold.test.start.prefix(10))..\(fold.test.end.prefix(10))",
                fold.params.items.map { "\($0.name)=\($0.value)" }.joined(separator: " "),
                fold.inSample.map(OptimizeReport.cell) ?? "-", OptimizeReport.cell(objectiveKey.value(in: fold.stats)), "\(fold.stats.trades)",
            ])
        }
        out += TextColumns.render(rows, alignLeft: true)
        out += "\nStitched out-of-sample (\(folds.reduce(0) { $0 + $1.test.bars }) bars):\n"
        out += StatsTable.render(best.stats, strategy: strategy, params: [:])
        return out
    }

    /// One line per fold: windows, parameters, objectives.
    func csv() -> String {
        let names = folds.first?.params.items.map(\.name) ?? []
        var out =
            (["fold", "train_start", "train_end", "test_start", "test_end"] + names + ["in_sample", "out_of_sample", "trades"]).joined(separator: ",")
            + "\n"
        for (i, fold) in folds.enumerated() {
            var cells = ["\(i + 1)", fold.train.start, fold.train.end, fold.test.start, fold.test.end]
            cells += fold.params.items.map { "\($0.value)" }
            cells += [fold.inSample.map(HeatmapCSV.format) ?? "", HeatmapCSV.format(objectiveKey.value(in: fold.stats)), "\(fold.stats.trades)"]
            out += cells.joined(separator: ",") + "\n"
        }
        return out
    }
}
