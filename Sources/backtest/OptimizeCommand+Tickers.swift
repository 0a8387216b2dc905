import BacktestAPI
import BacktestClient
import BacktestEngine
import BacktestOptimize
import Foundation

extension OptimizeCommand {
    /// `--ticker A,B,C`: the same search on each ticker, then the combinations ranked by their
    /// mean objective across the tickers (as backtesting.py's `MultiBacktest`: a ticker
    /// where a combination has no value, e.g. no trades, is left out of its mean).
    func runTickers(_ tickers: [String]) async throws {
        guard heatmap == nil else { throw CLIError(message: "--heatmap takes one ticker (or --csv)") }
        guard walkForward == nil else { throw CLIError(message: "--walk-forward takes one ticker") }
        var optimizers: [(String, Optimizer<BuiltinTarget>)] = []
        for ticker in tickers { optimizers.append((ticker, try makeOptimizer(ticker: ticker).0)) }
        guard let first = optimizers.first?.1 else { return }
        Self.noteDrawdown(first.configuration.objective)
        let plan: Optimizer<BuiltinTarget>.Plan
        do {
            plan = try first.plan()
            for (_, optimizer) in optimizers.dropFirst() { _ = try optimizer.plan() }
        } catch {
            throw CLIError(message: error.message)
        }
        let reporter = ProgressReporter(enabled: true, terminal: Terminal.stderrIsTerminal)
        let totals = MeanObjective(count: plan.order.count, column: first.objectiveColumn)
        var reports: [MultiReport.TickerResult] = []
        do {
            for (i, (ticker, optimizer)) in optimizers.enumerated() {
                let result = try await optimizer.run(
                    plan,
                    progress: { p in
                        reporter.report(BatchProgress(done: i * p.total + p.done, total: tickers.count * p.total, failed: 0, elapsed: p.elapsed))
                    },
                    rows: { rows in totals.add(rows) }
                )
                reports.append(MultiReport.TickerResult(ticker: ticker, report: OptimizeReport(result: result, optimizer: optimizer)))
            }
        } catch let error as OptimizeError {
            reporter.finish()
            throw CLIError(message: error.message, exitCode: 1)
        }
        reporter.finish()
        let report = MultiReport(tickers: reports, ranking: totals.ranking(first, plan: plan, top: top))
        switch format {
        case .json: Terminal.stdout(try ReportJSON.encode(report) + "\n")
        case .csv: Terminal.stdout(report.rankingCSV(names: first.space.axes.map(\.name)))
        case .table: Terminal.stdout(report.table(names: first.space.axes.map(\.name), objective: first.configuration.objective))
        }
    }
}

/// The objective of every combination summed over tickers (rows arrive in run order, the
/// same plan for each ticker).
final class MeanObjective: @unchecked Sendable {
    private var sums: [Double]
    private var counts: [Int]
    private var values: [[ParameterValue]]
    private let lock = NSLock()
    private let column: Int

    init(count: Int, column: Int) {
        self.column = column
        sums = [Double](repeating: 0, count: count)
        counts = [Int](repeating: 0, count: count)
        values = [[ParameterValue]](repeating: [], count: count)
    }

    /// Adds a unit of work's rows.
    func add(_ rows: [HeatmapRow]) {
        lock.withLock {
            for row in rows {
                values[row.sequence] = row.values
                guard row.statistics.indices.contains(column), !row.statistics[column].isNaN else { continue }
                let v = row.statistics[column]
                sums[row.sequence] += v
                counts[row.sequence] += 1
            }
        }
    }

    /// The best `top` combinations by mean objective (ties: the earlier one).
    func ranking(_ optimizer: Optimizer<BuiltinTarget>, plan: Optimizer<BuiltinTarget>.Plan, top: Int) -> [MultiReport.Ranked] {
        lock.withLock {
            let objective = optimizer.configuration.objective
            let names = optimizer.space.axes.map(\.name)
            let ranked = sums.indices.filter { counts[$0] > 0 }.sorted { a, b in
                let x = sums[a] / Double(counts[a])
                let y = sums[b] / Double(counts[b])
                if objective.isBetter(x, than: y) { return true }
                if objective.isBetter(y, than: x) { return false }
                return a < b
            }
            return ranked.prefix(max(1, top)).map { i in
                MultiReport.Ranked(
                    params: OrderedParameters(Array(zip(names, values[i])).map { (name: $0.0, value: $0.1) }),
                    meanObjective: sums[i] / Double(counts[i]),
                    tickers: counts[i]
                )
            }
        }
    }
}

/// Several tickers' searches: each ticker's best and top, and the ranking by mean objective.
struct MultiReport: Encodable {
    struct TickerResult: Encodable {
        var ticker: String
        var report: OptimizeReport

        func encode(to encoder: any Encoder) throws {
            var container = encoder.container(keyedBy: DynamicKey.self)
            try container.encode(ticker, forKey: DynamicKey("ticker"))
            try container.encode(report.best, forKey: DynamicKey("best"))
            try container.encode(report.top, forKey: DynamicKey("top"))
        }
    }

    struct Ranked: Encodable {
        var params: OrderedParameters
        var meanObjective: Double
        var tickers: Int

        enum CodingKeys: String, CodingKey {
            case params, tickers
            case meanObjective = "mean_objective"
        }
    }

    var tickers: [TickerResult]
    var ranking: [Ranked]

    /// The ranking, then each ticker's best.
    func table(names: [String], objective: Objective) -> String {
        var out =
            "Combinations by mean \(objective.statistic.name) over \(tickers.count) tickers (\(objective.maximizes ? "maximize" : "minimize")):\n"
        let header = ["#"] + names + ["mean", "tickers"]
        var rows = [header]
        for (i, r) in ranking.enumerated() {
            rows.append(["\(i + 1)"] + r.params.items.map { "\($0.value)" } + [OptimizeReport.cell(r.meanObjective), "\(r.tickers)"])
        }
        out += TextColumns.render(rows)
        out += "\nBest per ticker:\n"
        var best = [["ticker"] + names + [objective.statistic.name, "trades"]]
        for t in tickers {
            best.append(
                [t.ticker] + t.report.best.params.items.map { "\($0.value)" }
                    + [t.report.best.objective.map(OptimizeReport.cell) ?? "-", "\(t.report.best.stats.trades)"]
            )
        }
        out += TextColumns.render(best)
        return out
    }

    /// The ranking as CSV.
    func rankingCSV(names: [String]) -> String {
        var out = (["rank"] + names + ["mean_objective", "tickers"]).joined(separator: ",") + "\n"
        for (i, r) in ranking.enumerated() {
            out +=
                (["\(i + 1)"] + r.params.items.map { "\($0.value)" } + [HeatmapCSV.format(r.meanObjective), "\(r.tickers)"]).joined(separator: ",")
                + "\n"
        }
        return out
    }
}
