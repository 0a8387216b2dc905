/// A broker commission: a fixed fee per fill plus a fraction of the traded value.
///
/// `Commission(relative: 0.002)` charges 0.2 % of each fill's value;
/// `Commission(fixed: 5, relative: 0.001)` charges 5 plus 0.1 %.
public struct Commission: Sendable, Hashable {
    /// Fee charged on every fill, in cash units (>= 0).
    public var fixed: Double
    /// Fraction of the fill's value, in `[-0.1, 0.1)` (negative is a rebate).
    public var relative: Double

    /// Creates a commission.
    public init(fixed: Double = 0, relative: Double = 0) {
        self.fixed = fixed
        self.relative = relative
    }

    /// The fee for trading `size` units at `price`: `fixed + |size| * price * relative`.
    @inlinable
    public func fee(size: Double, price: Double) -> Double {
        fixed + abs(size) * price * relative
    }
}

/// Broker settings of a backtest, with backtesting.py's defaults.
public struct BacktestSettings: Sendable, Hashable {
    /// The starting cash when none is given: 10,000, as backtesting.py's. The one definition
    /// the engine, the request model, the API document and the CLI use.
    public static let defaultCash: Double = 10_000

    /// Starting cash. Default ``defaultCash`` (10,000).
    public var cash: Double = BacktestSettings.defaultCash
    /// Commission per fill. Default none.
    public var commission: Commission = Commission()
    /// Bid-ask spread as a fraction of price, paid on entry. Default 0.
    public var spread: Double = 0
    /// Margin requirement in `(0, 1]`; leverage is `1 / margin`. Default 1 (no leverage).
    public var margin: Double = 1
    /// Fill market orders at the close of the bar they were placed on. Default `false`.
    public var tradeOnClose: Bool = false
    /// Let opposite trades coexist instead of netting them FIFO. Default `false`.
    public var hedging: Bool = false
    /// Each new order cancels pending orders and closes open trades first. Default `false`.
    public var exclusiveOrders: Bool = false
    /// Close trades still open at the end so they count in the statistics. Default `false`.
    public var finalizeTrades: Bool = false

    /// Creates settings; every argument defaults to backtesting.py's default.
    public init(
        cash: Double = BacktestSettings.defaultCash,
        commission: Commission = Commission(),
        spread: Double = 0,
        margin: Double = 1,
        tradeOnClose: Bool = false,
        hedging: Bool = false,
        exclusiveOrders: Bool = false,
        finalizeTrades: Bool = false
    ) {
        self.cash = cash
        self.commission = commission
        self.spread = spread
        self.margin = margin
        self.tradeOnClose = tradeOnClose
        self.hedging = hedging
        self.exclusiveOrders = exclusiveOrders
        self.finalizeTrades = finalizeTrades
    }

    /// Checks every field's range.
    ///
    /// - Throws: ``BacktestError`` naming the field (`cash`, `commission`, `spread`, `margin`).
    public func validate() throws(BacktestError) {
        guard cash.isFinite, cash > 0 else {
            throw .invalid("cash", "must be a positive number, got \(cash)")
        }
        guard commission.relative.isFinite, commission.relative >= -0.1, commission.relative < 0.1 else {
            throw .invalid("commission", "relative commission must be in [-0.1, 0.1), got \(commission.relative)")
        }
        guard commission.fixed.isFinite, commission.fixed >= 0 else {
            throw .invalid("commission", "fixed commission must be >= 0, got \(commission.fixed)")
        }
        guard spread.isFinite, spread >= 0, spread < 0.1 else {
            throw .invalid("spread", "must be in [0, 0.1), got \(spread)")
        }
        guard margin.isFinite, margin > 0, margin <= 1 else {
            throw .invalid("margin", "must be in (0, 1], got \(margin)")
        }
    }
}
