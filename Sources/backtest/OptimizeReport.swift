import BacktestAPI
import BacktestEngine
import BacktestOptimize
import Foundation

/// `backtest optimize`'s table and CSV outputs of an ``OptimizationReport`` (its JSON is the
/// report itself, the same as `GET /v1/optimizations/{id}` returns).
extension OptimizationReport {
    /// The output in `format`: JSON, a table, or CSV (the top list, the ranking or the folds).
    func render(_ format: OptimizeCommand.Format, source: String, bars: Int?, strategy: String) throws -> String {
        switch format {
        case .json: return try ReportJSON.encode(self) + "\n"
        case .csv:
            if tickers != nil { return rankingCSV() }
            if walkForward != nil { return foldsCSV() }
            return topCSV()
        case .table:
            if tickers != nil { return rankingTable() + warningLines }
            if walkForward != nil { return foldsTable(source: source, strategy: strategy) + warningLines }
            return table(source: source, bars: bars, strategy: strategy) + warningLines
        }
    }

    /// The warnings, one `warning: …` line each after a blank line (nothing without any).
    var warningLines: String {
        warnings.isEmpty ? "" : "\n" + warnings.map { "warning: \($0)\n" }.joined()
    }

    /// The summary, the best combination's statistics, and the top list.
    func table(source: String, bars: Int?, strategy: String) -> String {
        let evaluated = evaluated ?? 0
        let seconds = seconds ?? 0
        let rate = seconds > 0 ? String(format: "%.0f", Double(evaluated) / seconds) : "-"
        var out = "\(source)\(bars.map { " (\($0) bars)" } ?? ""): \(combinations ?? 0) combinations, \(admissible ?? 0) admissible, "
        out += String(format: "%d run in %.3f s (%@ backtests/s)", evaluated, seconds, rate)
        out += (withoutTrades ?? 0) > 0 ? "; \(withoutTrades ?? 0) without trades" : ""
        if let minTrades { out += "; \(belowMinTrades ?? 0) below --min-trades \(minTrades)" }
        out += "\n"
        guard let best else { return out }
        let params = best.params.items.map { "\($0.name)=\($0.value)" }.joined(separator: " ")
        if let value = best.objective {
            out += "best: \(params)  \(objective.statistic) = \(HeatmapCSV.format(value))\n\n"
        } else {
            let reason = minTrades.map { "made at least \($0) trades" } ?? "made a trade"
            out += "best: \(params)  (no combination \(reason): the first one is shown)\n\n"
        }
        out += StatsTable.render(best.stats, strategy: strategy, params: best.params.dictionary)
        guard !top.isEmpty else { return out }
        out += "\nTop \(top.count) (\(objective.direction) \(objective.statistic)):\n"
        var rows = [["#"] + parameters + statistics]
        for (i, entry) in top.enumerated() {
            rows.append(["\(i + 1)"] + entry.params.items.map { "\($0.value)" } + entry.stats.values.map { Self.cell($0.value) })
        }
        out += TextColumns.render(rows)
        return out
    }

    /// The top list as CSV: rank, parameters, statistics.
    func topCSV() -> String {
        var out = (["rank"] + parameters + statistics).joined(separator: ",") + "\n"
        for (i, entry) in top.enumerated() {
            let cells = ["\(i + 1)"] + entry.params.items.map { "\($0.value)" } + entry.stats.values.map { HeatmapCSV.format($0.value) }
            out += cells.joined(separator: ",") + "\n"
        }
        return out
    }

    /// Several tickers: the ranking, then each ticker's best.
    func rankingTable() -> String {
        let tickers = tickers ?? []
        var out = "Combinations by mean \(objective.statistic) over \(tickers.count) tickers (\(objective.direction)):\n"
        var rows = [["#"] + parameters + ["mean", "tickers"]]
        for (i, r) in (ranking ?? []).enumerated() {
            rows.append(["\(i + 1)"] + r.params.items.map { "\($0.value)" } + [Self.cell(r.meanObjective), "\(r.tickers)"])
        }
        out += TextColumns.render(rows)
        out += "\nBest per ticker:\n"
        var best = [["ticker"] + parameters + [objective.statistic, "trades"]]
        for t in tickers {
            let ticker = t.ticker + (t.coverage?.isShort == true ? "*" : "")
            best.append([ticker] + t.best.params.items.map { "\($0.value)" } + [t.best.objective.map(Self.cell) ?? "-", "\(t.best.stats.trades)"])
        }
        out += TextColumns.render(best)
        let short = tickers.compactMap { t in t.coverage.flatMap { $0.isShort ? $0.footnote(t.ticker) : nil } }
        if !short.isEmpty {
            out += "\n* covers less than asked (statistics not comparable with the other tickers):\n" + short.map { "  \($0)\n" }.joined()
        }
        return out
    }

    /// Several tickers: the ranking as CSV.
    func rankingCSV() -> String {
        var out = (["rank"] + parameters + ["mean_objective", "tickers"]).joined(separator: ",") + "\n"
        for (i, r) in (ranking ?? []).enumerated() {
            out +=
                (["\(i + 1)"] + r.params.items.map { "\($0.value)" } + [HeatmapCSV.format(r.meanObjective), "\(r.tickers)"]).joined(separator: ",")
                + "\n"
        }
        return out
    }

    /// Walk-forward: the folds (windows, winner, in- and out-of-sample objective), then the
    /// stitched statistics.
    func foldsTable(source: String, strategy: String) -> String {
        let key = try? StatisticKey(name: objective.statistic)
        var out = "\(source): walk-forward \(walkForward ?? ""), \(folds.count) folds, \(objective.direction) \(objective.statistic)\n\n"
        var rows = [["fold", "train", "test", "params", "in-sample", "out-of-sample", "trades", "efficiency"]]
        for (i, fold) in folds.enumerated() {
            rows.append([
                "\(i + 1)", "\(fold.train.start.prefix(10))..\(fold.train.end.prefix(10))",
                "\(fold.test.start.prefix(10))..\(fold.test.end.prefix(10))",
                fold.params.items.map { "\($0.name)=\($0.value)" }.joined(separator: " "),
                fold.inSampleObjective.map(Self.cell) ?? "-", key.map { Self.cell($0.value(in: fold.stats)) } ?? "-", "\(fold.stats.trades)",
                fold.efficiency.map(Self.cell) ?? "-",
            ])
        }
        out += TextColumns.render(rows, alignLeft: true)
        out +=
            "\nWalk-forward efficiency (mean out-of-sample over mean in-sample annualised return of the folds' winners): "
            + (walkForwardEfficiency.map(Self.cell) ?? "undefined (the folds' mean in-sample annualised return is not above 0)") + "\n"
        out += "\nStitched out-of-sample (\(folds.reduce(0) { $0 + $1.test.bars }) bars):\n"
        if let best { out += StatsTable.render(best.stats, strategy: strategy, params: [:]) }
        return out
    }

    /// Walk-forward: one line per fold (windows, parameters, objectives).
    func foldsCSV() -> String {
        let key = try? StatisticKey(name: objective.statistic)
        var out =
            (["fold", "train_start", "train_end", "test_start", "test_end"] + parameters + ["in_sample", "out_of_sample", "trades", "efficiency"])
            .joined(separator: ",") + "\n"
        for (i, fold) in folds.enumerated() {
            var cells = ["\(i + 1)", fold.train.start, fold.train.end, fold.test.start, fold.test.end]
            cells += fold.params.items.map { "\($0.value)" }
            cells += [
                fold.inSampleObjective.map(HeatmapCSV.format) ?? "", key.map { HeatmapCSV.format($0.value(in: fold.stats)) } ?? "",
                "\(fold.stats.trades)", fold.efficiency.map(HeatmapCSV.format) ?? "",
            ]
            out += cells.joined(separator: ",") + "\n"
        }
        return out
    }

    /// A table cell: whole numbers bare, others with four decimals, NaN as `NaN`.
    static func cell(_ value: Double) -> String {
        if value.isNaN { return "NaN" }
        if value == value.rounded(), abs(value) < 1e15 { return String(Int64(value)) }
        return String(format: "%.4f", value)
    }
}
