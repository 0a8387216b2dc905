import BacktestEngine
import Foundation

/// What a statistic is: its display name, a one-line definition with its unit, and whether it
/// means little on few trades. ``all`` is the one table of them: the pages show it on hover,
/// `backtest stats --explain` prints it and `docs/statistics.md` carries it (a test holds the
/// file to the table).
///
/// ```swift
/// let sqn = StatisticDefinition.named("sqn")
/// sqn?.name        // "SQN"
/// sqn?.fewTrades   // true: on a handful of trades it can be any size
/// ```
public struct StatisticDefinition: Sendable, Hashable, Codable {
    /// The reference key, e.g. `sqn` (as in the statistics object).
    public var key: String
    /// The label the tables and pages show, e.g. `Max. Drawdown [%]` (backtesting.py's).
    public var name: String
    /// One plain line: what it measures and in what unit.
    public var definition: String
    /// Whether it means little on few trades (a trade-based ratio or average that a handful
    /// of trades can push anywhere).
    public var fewTrades: Bool

    /// Fewer trades than this and the statistics marked ``fewTrades`` mean little (the count
    /// most guides ask of a test before trusting a trade-based statistic).
    public static let fewTradesThreshold = 30

    /// Why some statistics are marked, in one sentence (the pages' footnote and the docs').
    public static let fewTradesNote =
        "Means little on few trades: computed from the trades alone, so with fewer than about "
        + "\(fewTradesThreshold) of them one or two trades decide its value."

    enum CodingKeys: String, CodingKey {
        case key, name, definition
        case fewTrades = "few_trades"
    }

    /// Creates a definition.
    public init(key: String, name: String, definition: String, fewTrades: Bool = false) {
        self.key = key
        self.name = name
        self.definition = definition
        self.fewTrades = fewTrades
    }

    /// The definition of the statistic `key`, or `nil` for a key the product does not report.
    public static func named(_ key: String) -> StatisticDefinition? { byKey[key] }

    private static let byKey: [String: StatisticDefinition] = Dictionary(all.map { ($0.key, $0) }) { a, _ in a }

    /// Every statistic the product reports, in the order of the statistics object: the two
    /// dates, then each ``StatisticKey``.
    public static let all: [StatisticDefinition] = [
        .init(key: "start", name: "Start", definition: "Date and time of the first bar of the run."),
        .init(key: "end", name: "End", definition: "Date and time of the last bar of the run."),
        .init(key: "duration_days", name: "Duration", definition: "Time from Start to End, in calendar days."),
        .init(
            key: "exposure_time_pct",
            name: "Exposure Time [%]",
            definition: "Share of bars with a position open, in percent."
        ),
        .init(
            key: "equity_final",
            name: "Equity Final [$]",
            definition: "Cash plus the open position's value at the last bar, in the account's currency."
        ),
        .init(key: "equity_peak", name: "Equity Peak [$]", definition: "Highest equity reached during the run, in the account's currency."),
        .init(key: "commissions", name: "Commissions [$]", definition: "Commissions paid on all fills, in the account's currency."),
        .init(key: "return_pct", name: "Return [%]", definition: "Final equity against the starting cash, in percent."),
        .init(
            key: "buy_hold_return_pct",
            name: "Buy & Hold Return [%]",
            definition: "Change of the close from the first bar to the last, in percent: holding the asset throughout."
        ),
        .init(
            key: "return_ann_pct",
            name: "Return (Ann.) [%]",
            definition: "Geometric mean daily return compounded over a year (252 trading days, 365 with weekend bars), in percent."
        ),
        .init(
            key: "volatility_ann_pct",
            name: "Volatility (Ann.) [%]",
            definition: "Standard deviation of daily returns scaled to a year, in percent."
        ),
        .init(
            key: "cagr_pct",
            name: "CAGR [%]",
            definition: "Compound annual growth rate of equity over the calendar years from Start to End, in percent."
        ),
        .init(
            key: "sharpe_ratio",
            name: "Sharpe Ratio",
            definition: "Annualised return over annualised volatility (risk-free rate 0); a pure number."
        ),
        .init(
            key: "sortino_ratio",
            name: "Sortino Ratio",
            definition: "Annualised return over the annualised deviation of losing days only; a pure number."
        ),
        .init(
            key: "calmar_ratio",
            name: "Calmar Ratio",
            definition: "Annualised return over the maximum drawdown's depth; a pure number."
        ),
        .init(
            key: "alpha_pct",
            name: "Alpha [%]",
            definition: "Return left after the part explained by Beta times the buy-and-hold return, in percent."
        ),
        .init(
            key: "beta",
            name: "Beta",
            definition: "How much equity moves with the asset: covariance of their daily log returns over the asset's variance."
        ),
        .init(
            key: "max_drawdown_pct",
            name: "Max. Drawdown [%]",
            definition: "Deepest fall of equity below an earlier peak, in percent (negative)."
        ),
        .init(
            key: "avg_drawdown_pct",
            name: "Avg. Drawdown [%]",
            definition: "Mean depth of the drawdowns (each fall from a peak until equity regains it), in percent."
        ),
        .init(
            key: "max_drawdown_duration_days",
            name: "Max. Drawdown Duration",
            definition: "Longest time from a peak of equity until it is regained, in days."
        ),
        .init(
            key: "avg_drawdown_duration_days",
            name: "Avg. Drawdown Duration",
            definition: "Mean time from a peak of equity until it is regained, in days."
        ),
        .init(
            key: "trades",
            name: "# Trades",
            definition: "Number of closed trades (one still open at the end counts only when the run closes it there)."
        ),
        .init(
            key: "win_rate_pct",
            name: "Win Rate [%]",
            definition: "Share of trades with a positive profit, in percent.",
            fewTrades: true
        ),
        .init(key: "best_trade_pct", name: "Best Trade [%]", definition: "Return of the best single trade, in percent."),
        .init(key: "worst_trade_pct", name: "Worst Trade [%]", definition: "Return of the worst single trade, in percent."),
        .init(
            key: "avg_trade_pct",
            name: "Avg. Trade [%]",
            definition: "Geometric mean of the trades' returns, in percent.",
            fewTrades: true
        ),
        .init(key: "max_trade_duration_days", name: "Max. Trade Duration", definition: "Longest time a trade was open, in days."),
        .init(key: "avg_trade_duration_days", name: "Avg. Trade Duration", definition: "Mean time a trade was open, in days."),
        .init(
            key: "profit_factor",
            name: "Profit Factor",
            definition: "Sum of the winning trades' returns over the losing trades' (absolute); a pure number, empty without a loss.",
            fewTrades: true
        ),
        .init(
            key: "expectancy_pct",
            name: "Expectancy [%]",
            definition: "Arithmetic mean of the trades' returns: what a trade made on average, in percent.",
            fewTrades: true
        ),
        .init(
            key: "sqn",
            name: "SQN",
            definition: "System Quality Number: the square root of the trade count times mean profit over its standard deviation.",
            fewTrades: true
        ),
        .init(
            key: "kelly_criterion",
            name: "Kelly Criterion",
            definition: "Fraction of equity to risk per trade by Kelly's formula from the win rate and the mean win and loss.",
            fewTrades: true
        ),
    ]
}

extension StatisticKey {
    /// What this statistic is (every key has one; a test holds the table to ``all``).
    public var definition: StatisticDefinition {
        StatisticDefinition.named(name) ?? StatisticDefinition(key: name, name: name, definition: "")
    }
}
