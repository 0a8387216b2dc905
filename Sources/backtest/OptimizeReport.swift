import BacktestAPI
import BacktestEngine
import BacktestOptimize
import Foundation

/// The outcome of `backtest optimize` as JSON (`{"best", "top", "folds", …}`), a table, or
/// the top list as CSV.
struct OptimizeReport: Encodable {
    struct Best: Encodable {
        var params: OrderedParameters
        var objective: Double?
        var stats: Statistics
    }

    struct Entry: Encodable {
        var params: OrderedParameters
        var stats: ReportedStatistics
    }

    struct Objective: Encodable {
        var statistic: String
        var direction: String
    }

    var best: Best
    var top: [Entry]
    var folds: [Int] = []
    var objective: Objective
    var combinations: Int
    var admissible: Int
    var evaluated: Int
    var withoutTrades: Int
    var seconds: Double

    enum CodingKeys: String, CodingKey {
        case best, top, folds, objective, combinations, admissible, evaluated, seconds
        case withoutTrades = "without_trades"
    }

    private let reported: [StatisticKey]
    private let names: [String]

    init(result: OptimizationResult, optimizer: Optimizer<BuiltinTarget>) {
        reported = optimizer.configuration.statistics
        names = optimizer.space.axes.map(\.name)
        best = Best(params: OrderedParameters(result.best.parameters), objective: result.best.objective, stats: result.best.statistics)
        let reported = self.reported
        top = result.top.map { candidate in
            Entry(
                params: OrderedParameters(candidate.parameters),
                stats: ReportedStatistics(values: reported.map { ($0.name, $0.value(in: candidate.statistics)) })
            )
        }
        let objective = optimizer.configuration.objective
        self.objective = Objective(statistic: objective.statistic.name, direction: objective.maximizes ? "maximize" : "minimize")
        combinations = result.combinations
        admissible = result.admissible
        evaluated = result.evaluated
        withoutTrades = result.withoutTrades
        seconds = result.seconds
    }

    /// The summary, the best combination's statistics, and the top list.
    func table(source: String, bars: Int, strategy: String) -> String {
        let rate = seconds > 0 ? String(format: "%.0f", Double(evaluated) / seconds) : "-"
        var out = "\(source) (\(bars) bars): \(combinations) combinations, \(admissible) admissible, \(evaluated) run in "
        out += String(format: "%.3f s (%@ backtests/s)", seconds, rate)
        out += withoutTrades > 0 ? "; \(withoutTrades) without trades\n" : "\n"
        let params = best.params.items.map { "\($0.name)=\($0.value)" }.joined(separator: " ")
        if let value = best.objective {
            out += "best: \(params)  \(objective.statistic) = \(HeatmapCSV.format(value))\n\n"
        } else {
            out += "best: \(params)  (no combination made a trade: the first one is shown)\n\n"
        }
        out += StatsTable.render(
            best.stats,
            strategy: strategy,
            params: Dictionary(uniqueKeysWithValues: best.params.items.map { ($0.name, $0.value) })
        )
        guard !top.isEmpty else { return out }
        out += "\nTop \(top.count) (\(objective.direction) \(objective.statistic)):\n"
        let header = ["#"] + names + reported.map(\.name)
        var rows = [header]
        for (i, entry) in top.enumerated() {
            rows.append(["\(i + 1)"] + entry.params.items.map { "\($0.value)" } + entry.stats.values.map { Self.cell($0.1) })
        }
        out += TextColumns.render(rows)
        return out
    }

    /// The top list as CSV: rank, parameters, statistics.
    func topCSV() -> String {
        var out = (["rank"] + names + reported.map(\.name)).joined(separator: ",") + "\n"
        for (i, entry) in top.enumerated() {
            out +=
                (["\(i + 1)"] + entry.params.items.map { "\($0.value)" } + entry.stats.values.map { $0.1.isNaN ? "" : HeatmapCSV.format($0.1) })
                .joined(separator: ",") + "\n"
        }
        return out
    }

    static func cell(_ value: Double) -> String {
        if value.isNaN { return "NaN" }
        if value == value.rounded(), abs(value) < 1e15 { return String(Int64(value)) }
        return String(format: "%.4f", value)
    }
}

/// Parameters as a JSON object in grid order.
struct OrderedParameters: Encodable {
    var items: [(name: String, value: ParameterValue)]

    init(_ items: [(name: String, value: ParameterValue)]) {
        self.items = items
    }

    func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: DynamicKey.self)
        for item in items { try container.encode(item.value, forKey: DynamicKey(item.name)) }
    }
}

/// Some statistics by key, NaN as `null`.
struct ReportedStatistics: Encodable {
    var values: [(String, Double)]

    func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: DynamicKey.self)
        for (name, value) in values {
            if value.isNaN {
                try container.encodeNil(forKey: DynamicKey(name))
            } else if value.isInfinite {
                try container.encode(value > 0 ? "Infinity" : "-Infinity", forKey: DynamicKey(name))
            } else {
                try container.encode(value, forKey: DynamicKey(name))
            }
        }
    }
}

struct DynamicKey: CodingKey {
    var stringValue: String
    var intValue: Int? { nil }
    init(_ string: String) { stringValue = string }
    init?(stringValue: String) { self.stringValue = stringValue }
    init?(intValue: Int) { nil }
}
