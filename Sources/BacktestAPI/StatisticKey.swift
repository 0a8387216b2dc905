import BacktestEngine

/// A statistic by its reference key (`sqn`, `return_pct`, `max_drawdown_pct`, `trades`): the
/// names of `backtest run --format json` and the API, for choosing what an optimisation
/// maximises and reports.
///
/// ```swift
/// let key = try StatisticKey(name: "sharpe_ratio")
/// let value = key.value(in: result.statistics)
/// ```
public struct StatisticKey: Sendable, Hashable, CustomStringConvertible {
    /// The reference key, e.g. `sqn`.
    public let name: String
    private let field: Field

    private enum Field: Sendable {
        case double(any WritableKeyPath<Statistics, Double> & Sendable)
        case trades
    }

    public static func == (a: StatisticKey, b: StatisticKey) -> Bool { a.name == b.name }

    public func hash(into hasher: inout Hasher) { hasher.combine(name) }

    /// Every numeric statistic, in the order of the statistics object (`start`/`end`, which
    /// are dates, excluded).
    public static let all: [StatisticKey] = Statistics.wireFields.flatMap { key, path -> [StatisticKey] in
        let field = StatisticKey(name: key.rawValue, field: .double(path))
        return key == .winRatePct ? [StatisticKey(name: "trades", field: .trades), field] : [field]
    }

    private init(name: String, field: Field) {
        self.name = name
        self.field = field
    }

    /// The statistic named `name`.
    ///
    /// - Throws: ``BacktestError`` `invalid_field` listing the names.
    public init(name: String) throws(BacktestError) {
        guard let key = Self.all.first(where: { $0.name == name }) else {
            throw BacktestError(
                code: .invalidField,
                message: "unknown statistic '\(name)'; one of: \(Self.all.map(\.name).joined(separator: ", "))",
                field: "statistic"
            )
        }
        self = key
    }

    /// The statistic's value (`trades` as a number).
    public func value(in statistics: Statistics) -> Double {
        switch field {
        case .double(let path): statistics[keyPath: path]
        case .trades: Double(statistics.trades)
        }
    }

    public var description: String { name }
}
