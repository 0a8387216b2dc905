/// How a portfolio backtest trades: its allocation, schedule, cash and costs
/// (docs/portfolios.md; the reference is PORTFOLIO.md of the conformance set).
///
/// ```swift
/// let settings = PortfolioSettings(allocation: .equal, schedule: .monthly, commission: 0.001)
/// ```
public struct PortfolioSettings: Sendable, Hashable {
    /// The starting cash of a portfolio when none is given: 100,000 (a portfolio of several
    /// tickers in whole shares needs more than a single-ticker backtest's 10,000).
    public static let defaultCash = 100_000.0
    /// The most starting cash (1e15): far beyond any account, and small enough that sizes,
    /// fees and equity stay finite.
    public static let maxCash = 1e15
    /// The longest lookback and the longest every-N-bars period, in bars.
    public static let maxPeriodBars = 1_000_000
    /// The most tickers one portfolio may hold.
    public static let maxTickers = 500
    /// The most calendar bars × tickers one portfolio may simulate (bounded memory: about
    /// 40 bytes each).
    public static let maxCells = 20_000_000

    /// How target weights are chosen on each decision bar.
    public var allocation: PortfolioAllocation
    /// Which bars are decision bars; `nil` for ``PortfolioAllocation/weights(_:)``, whose
    /// dates are the schedule.
    public var schedule: RebalanceSchedule?
    /// Starting cash, > 0.
    public var cash: Double
    /// Commission as a fraction of each fill's value, in `[0, 0.1)`.
    public var commission: Double
    /// Any positive size (`true`) or whole units (`false`, the default).
    public var fractional: Bool
    /// Fill at the decision bar's close instead of the next bar's open.
    public var tradeOnClose: Bool

    /// Creates settings.
    public init(
        allocation: PortfolioAllocation,
        schedule: RebalanceSchedule?,
        cash: Double = PortfolioSettings.defaultCash,
        commission: Double = 0,
        fractional: Bool = false,
        tradeOnClose: Bool = false
    ) {
        self.allocation = allocation
        self.schedule = schedule
        self.cash = cash
        self.commission = commission
        self.fractional = fractional
        self.tradeOnClose = tradeOnClose
    }
}

/// How a portfolio's target weights are chosen (PORTFOLIO.md section 4). Weights are
/// fractions of equity per ticker; what is left is held in cash.
public enum PortfolioAllocation: Sendable, Hashable {
    /// A schedule of dated weights: each entry applies at the first bar on or after its date.
    case weights([WeightEntry])
    /// The same weights on every schedule bar.
    case fixed([String: Double])
    /// `1 / n` to each of the `n` tickers with a bar on the decision bar.
    case equal
    /// `1 / m` to the `m = min(top, eligible)` tickers with the highest `lookback`-bar return.
    case momentum(lookback: Int, top: Int)
    /// Weights proportional to `1 / σ` of the last `lookback` daily returns (ddof 1).
    case inverseVolatility(lookback: Int)

    /// The wire name: `weights`, `fixed`, `equal`, `momentum` or `inverse_volatility`.
    public var name: String {
        switch self {
        case .weights: "weights"
        case .fixed: "fixed"
        case .equal: "equal"
        case .momentum: "momentum"
        case .inverseVolatility: "inverse_volatility"
        }
    }

    /// Every allocation's wire name.
    public static let names = ["weights", "fixed", "equal", "momentum", "inverse_volatility"]

    /// Whether its decision plan is its schedule's decision bars alone, with no weights of its
    /// own (`equal`, `momentum`, `inverse_volatility`).
    var decidesBySchedule: Bool {
        switch self {
        case .equal, .momentum, .inverseVolatility: true
        case .fixed, .weights: false
        }
    }
}

/// One dated entry of a ``PortfolioAllocation/weights(_:)`` schedule.
public struct WeightEntry: Sendable, Hashable {
    /// The entry's date (seconds since the epoch, 00:00 of the day).
    public var date: Int64
    /// Target weight per ticker; tickers not named get 0 (`[:]` is all cash).
    public var weights: [String: Double]

    /// Creates an entry.
    public init(date: Int64, weights: [String: Double]) {
        self.date = date
        self.weights = weights
    }
}

/// Which calendar bars are decision bars (PORTFOLIO.md section 4). Bar 0 always is.
public enum RebalanceSchedule: Sendable, Hashable {
    /// The first bar of each calendar month.
    case monthly
    /// The first bar of each ISO week (weeks start on Monday).
    case weekly
    /// The first bar of each calendar quarter.
    case quarterly
    /// Every `n`-th bar: bars 0, n, 2n, …
    case everyNBars(Int)
    /// Bar 0 only: buy and hold the first targets.
    case never

    /// The wire name: `monthly`, `weekly`, `quarterly`, `every_n_bars` or `never`.
    public var name: String {
        switch self {
        case .monthly: "monthly"
        case .weekly: "weekly"
        case .quarterly: "quarterly"
        case .everyNBars: "every_n_bars"
        case .never: "never"
        }
    }

    /// Every schedule's wire name.
    public static let names = ["monthly", "weekly", "quarterly", "every_n_bars", "never"]
}
