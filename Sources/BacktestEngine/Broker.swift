/// The size backtesting.py uses for a default order: `1 - 2^-52` of available margin.
public let fullEquityFraction: Double = 1 - 0x1p-52

/// A trade closed during a backtest (one row of backtesting.py's `_trades`).
public struct TradeRecord: Sendable, Equatable {
    /// Signed size in units: positive long, negative short.
    public var size: Int
    /// Bar index of the entry fill.
    public var entryBar: Int
    /// Bar index of the exit fill.
    public var exitBar: Int
    /// Entry price, spread included.
    public var entryPrice: Double
    /// Exit price.
    public var exitPrice: Double
    /// Stop-loss price attached to the trade, if any.
    public var sl: Double?
    /// Take-profit price attached to the trade, if any.
    public var tp: Double?
    /// Profit or loss in cash, after both commissions.
    public var pnl: Double
    /// Return as a fraction (0.05 = 5 %), after commissions.
    public var returnPct: Double
    /// Entry plus exit commission.
    public var commission: Double
    /// Timestamp of the entry bar.
    public var entryTime: Int64
    /// Timestamp of the exit bar.
    public var exitTime: Int64

    /// Creates a record.
    public init(
        size: Int,
        entryBar: Int,
        exitBar: Int,
        entryPrice: Double,
        exitPrice: Double,
        sl: Double?,
        tp: Double?,
        pnl: Double,
        returnPct: Double,
        commission: Double,
        entryTime: Int64,
        exitTime: Int64
    ) {
        self.size = size
        self.entryBar = entryBar
        self.exitBar = exitBar
        self.entryPrice = entryPrice
        self.exitPrice = exitPrice
        self.sl = sl
        self.tp = tp
        self.pnl = pnl
        self.returnPct = returnPct
        self.commission = commission
        self.entryTime = entryTime
        self.exitTime = exitTime
    }
}

/// A trade still open when the data ended (only without `finalizeTrades`).
public struct OpenTradeRecord: Sendable, Equatable {
    /// Signed size in units.
    public var size: Int
    /// Bar index of the entry fill.
    public var entryBar: Int
    /// Timestamp of the entry bar.
    public var entryTime: Int64
    /// Entry price, spread included.
    public var entryPrice: Double
    /// Stop-loss price, if any.
    public var sl: Double?
    /// Take-profit price, if any.
    public var tp: Double?
}

/// The simulated broker: an order queue, open trades, cash and the equity curve, with
/// backtesting.py 0.6.6's fill, sizing and commission rules (SEMANTICS.md sections 3-7).
///
/// Strategies reach it through ``StrategyContext``; it is not used directly. It is a value
/// type owned by the run loop, so the hot path needs no dynamic exclusivity checks.
public struct Broker {
    enum Role: UInt8 { case entry, close, stopLoss, takeProfit }

    struct Order {
        var id: Int
        var size: Double
        var limit: Double?
        var stop: Double?
        var sl: Double?
        var tp: Double?
        var trade: Int  // id of the parent trade, -1 for entries
        var role: Role
        @inline(__always) var isLong: Bool { size > 0 }
        @inline(__always) var isContingent: Bool { role == .stopLoss || role == .takeProfit }
    }

    struct Trade {
        var id: Int
        var size: Int
        var entryPrice: Double
        var entryBar: Int
        var slOrder: Int = -1
        var tpOrder: Int = -1
        var sl: Double?
        var tp: Double?
    }

    let bars: Bars
    let settings: BacktestSettings
    let leverage: Double
    private(set) var cash: Double
    var orders: [Order] = []
    var trades: [Trade] = []
    private(set) var closed: [TradeRecord] = []
    /// The ids of the orders queued when a pass over the queue starts.
    private var snapshot: [Int] = []
    private var nextOrderID = 0
    private var nextTradeID = 0
    /// Orders the broker cancelled (not enough cash or margin).
    private(set) var cancelledOrders = 0
    /// Set when an order could not be sized exactly (over 2^53 units, e.g. from a huge
    /// `cash` or a tiny `margin`); the run stops with this error instead of trapping.
    private(set) var failure: BacktestError?
    /// Index of the bar being processed.
    private(set) var current = 0

    init(bars: Bars, settings: BacktestSettings) {
        self.bars = bars
        self.settings = settings
        self.leverage = 1 / settings.margin
        self.cash = settings.cash
        orders.reserveCapacity(8)
        trades.reserveCapacity(8)
        snapshot.reserveCapacity(8)
        closed.reserveCapacity(64)
    }

    // MARK: Account values

    @inline(__always)
    func commission(_ size: Double, _ price: Double) -> Double {
        settings.commission.fee(size: size, price: price)
    }

    /// `cash + P * sum(size) - sum(size * entry)` at the close of bar `i`.
    @inline(__always)
    func equity(at i: Int) -> Double {
        Self.equity(cash: cash, trades: trades, price: bars.close[i])
    }

    // Static forms take only what they read, so mutating callers never copy `self`.
    @inline(__always)
    static func equity(cash: Double, trades: [Trade], price p: Double) -> Double {
        if trades.isEmpty { return cash }
        var sizes = 0
        var cost = 0.0
        for t in trades {
            sizes += t.size
            cost += Double(t.size) * t.entryPrice
        }
        return cash + (p * Double(sizes) - cost)
    }

    @inline(__always)
    static func marginAvailable(cash: Double, trades: [Trade], price p: Double, leverage: Double) -> Double {
        var used = 0.0
        for t in trades { used += Double(abs(t.size)) * p / leverage }
        return max(0, equity(cash: cash, trades: trades, price: p) - used)
    }

    /// Net position size in units.
    @inline(__always)
    var positionSize: Int {
        var s = 0
        for t in trades { s += t.size }
        return s
    }

    // MARK: Placing orders

    /// Places an entry order (`size` > 0 buys, < 0 sells), validating SL/TP against the
    /// current close, as `Broker.new_order`.
    mutating func placeOrder(size: Double, limit: Double?, stop: Double?, sl: Double?, tp: Double?) throws(BacktestError) {
        let adjusted = bars.close[current] * (1 + copysign(settings.spread, size))
        let reference = limit ?? stop ?? adjusted
        if size > 0 {
            guard (sl ?? -.infinity) < reference, reference < (tp ?? .infinity) else {
                throw BacktestError(
                    code: .invalidOrder,
                    message:
                        "long orders require SL (\(sl.map { "\($0)" } ?? "none")) < price (\(reference)) < TP (\(tp.map { "\($0)" } ?? "none")) on bar \(current)"
                )
            }
        } else {
            guard (tp ?? -.infinity) < reference, reference < (sl ?? .infinity) else {
                throw BacktestError(
                    code: .invalidOrder,
                    message:
                        "short orders require TP (\(tp.map { "\($0)" } ?? "none")) < price (\(reference)) < SL (\(sl.map { "\($0)" } ?? "none")) on bar \(current)"
                )
            }
        }
        if settings.exclusiveOrders {
            // backtesting.py cancels while iterating the live queue, so the order right after
            // each cancelled one is skipped; reproduced on purpose.
            var k = 0
            while k < orders.count {
                if !orders[k].isContingent { orders.remove(at: k) }
                k += 1
            }
            for t in trades { closeOrder(for: t, portion: 1) }
        }
        orders.append(Order(id: newOrderID(), size: size, limit: limit, stop: stop, sl: sl, tp: tp, trade: -1, role: .entry))
    }

    /// Queues an order closing `portion` of trade `t`, at the front of the queue.
    mutating func closeOrder(for t: Trade, portion: Double) {
        let units = max(1, (Double(abs(t.size)) * portion).rounded(.toNearestOrEven))
        let size = copysign(units, Double(-t.size))
        orders.insertShifting(Order(id: newOrderID(), size: size, trade: t.id, role: .close), at: 0)
    }

    /// Queues close orders for every open trade (`position.close()`).
    mutating func closePosition() {
        for t in trades { closeOrder(for: t, portion: 1) }
    }

    @inline(__always)
    private mutating func newOrderID() -> Int {
        nextOrderID &+= 1
        return nextOrderID
    }

    // MARK: Processing

    /// The broker step of bar `i`: fills orders, then returns the equity at the bar's close.
    /// A value <= 0 is bankruptcy: the trades were closed and the run stops (its equity is 0
    /// from this bar on).
    mutating func step(_ i: Int) -> Double {
        current = i
        if !orders.isEmpty { processOrders(i) }
        let value = Self.equity(cash: cash, trades: trades, price: bars.close[i])
        if value <= 0 {
            // backtesting.py closes trades while iterating the same list, so only every
            // other trade gets closed; reproduced on purpose.
            var j = 0
            while j < trades.count {
                closeTrade(at: j, price: bars.close[i], bar: i)
                j += 1
            }
            cash = 0
        }
        return value
    }

    @inline(__always)
    private func orderIndex(_ id: Int) -> Int? {
        var k = 0
        while k < orders.count {
            if orders[k].id == id { return k }
            k += 1
        }
        return nil
    }

    @inline(__always)
    private func tradeIndex(_ id: Int) -> Int? {
        var k = 0
        while k < trades.count {
            if trades[k].id == id { return k }
            k += 1
        }
        return nil
    }

    private mutating func removeOrder(_ id: Int) {
        if let k = orderIndex(id) { orders.removeShifting(at: k) }
    }

    /// `true` when some queued order can act on a bar with this high and low: a market
    /// order, a triggered stop, or a reachable limit. Most bars only carry resting SL/TP
    /// orders that do not trigger, and skip the pass entirely.
    @inline(__always)
    private func anyOrderActs(high: Double, low: Double) -> Bool {
        for o in orders {
            if let stop = o.stop {
                if o.isLong ? high >= stop : low <= stop { return true }
                continue  // an untriggered stop (or stop-limit) waits
            }
            if let limit = o.limit {
                if o.isLong ? low <= limit : high >= limit { return true }
                continue
            }
            return true
        }
        return false
    }

    private mutating func processOrders(_ i: Int) {
        let open = bars.open[i]
        let high = bars.high[i]
        let low = bars.low[i]
        guard anyOrderActs(high: high, low: low) else { return }
        var reprocess = false
        snapshot.removeAll(keepingCapacity: true)
        for o in orders { snapshot.append(o.id) }
        for queued in snapshot {
            guard let idx = orderIndex(queued) else { continue }
            var order = orders[idx]
            let stopPrice = order.stop
            if let stop = stopPrice {
                let hit = order.isLong ? high >= stop : low <= stop
                if !hit { continue }
                orders[idx].stop = nil
                order.stop = nil
            }
            var price: Double
            if let limit = order.limit {
                let limitHit = order.isLong ? low <= limit : high >= limit
                let hitBeforeStop = limitHit && (order.isLong ? limit <= (stopPrice ?? -.infinity) : limit >= (stopPrice ?? .infinity))
                if !limitHit || hitBeforeStop { continue }
                price = order.isLong ? min(stopPrice ?? open, limit) : max(stopPrice ?? open, limit)
            } else {
                price = settings.tradeOnClose && !order.isContingent ? bars.close[i - 1] : open
                if let stop = stopPrice { price = order.isLong ? max(price, stop) : min(price, stop) }
            }
            let isMarket = order.limit == nil && stopPrice == nil
            let bar = isMarket && settings.tradeOnClose && !order.isContingent ? i - 1 : i

            if order.trade >= 0 {
                // Close, SL or TP order of an existing trade.
                if let t = tradeIndex(order.trade) {
                    let prev = trades[t].size
                    let size = Int(copysign(min(Double(abs(prev)), abs(order.size)), order.size))
                    reduceTrade(at: t, price: price, size: size, bar: bar)
                }
                if order.role == .close { removeOrder(order.id) }
                continue
            }

            // A stand-alone entry order.
            let adjusted = price * (1 + copysign(settings.spread, order.size))
            let unitCost = adjusted + commission(order.size, price) / abs(order.size)
            var size = order.size
            if -1 < size && size < 1 {
                let units = pyFloorDiv(
                    Self.marginAvailable(cash: cash, trades: trades, price: bars.close[i], leverage: leverage) * leverage * abs(size),
                    unitCost
                )
                size = copysign(units.rounded(.towardZero), size)
                if size == 0 {
                    removeOrder(order.id)
                    cancelledOrders += 1
                    continue
                }
            }
            guard abs(size) < 0x1p53 else {
                failure = BacktestError(
                    code: .invalidField,
                    message:
                        "cash: an order of \(size) units is too large to size exactly (2^53 units at most); lower cash or raise margin",
                    field: "cash"
                )
                removeOrder(order.id)
                continue
            }
            var need = Int(size)
            if !settings.hedging { need = closeOpposite(need, isLong: order.isLong, price: price, bar: bar) }
            if Double(abs(need)) * unitCost > Self.marginAvailable(cash: cash, trades: trades, price: bars.close[i], leverage: leverage) * leverage {
                removeOrder(order.id)
                cancelledOrders += 1
                continue
            }
            if need != 0 {
                openTrade(price: adjusted, size: need, sl: order.sl, tp: order.tp, bar: bar)
                if order.sl != nil || order.tp != nil {
                    if isMarket {
                        reprocess = true
                    } else if stopPrice != nil, order.limit == nil, let tp = order.tp {
                        if order.isLong ? (tp <= high && (order.sl ?? -.infinity) < low) : (tp >= low && (order.sl ?? .infinity) > high) {
                            reprocess = true
                        }
                    }
                }
            }
            removeOrder(order.id)
        }
        if reprocess { processOrders(i) }
    }

    /// Closes or reduces the trades open against an entry of `need` units (FIFO: closing one
    /// removes it and the next moves to its place, reducing one leaves the others where they
    /// are); returns the units left to open.
    @inline(__always)
    private mutating func closeOpposite(_ need: Int, isLong: Bool, price: Double, bar: Int) -> Int {
        var need = need
        var t = 0
        while t < trades.count, need != 0 {
            let trade = trades[t]
            if (trade.size > 0) == isLong {
                t += 1
                continue
            }
            if abs(need) >= abs(trade.size) {
                closeTrade(at: t, price: price, bar: bar)
                need += trade.size
            } else {
                reduceTrade(at: t, price: price, size: need, bar: bar)
                need = 0
            }
        }
        return need
    }

    private mutating func openTrade(price: Double, size: Int, sl: Double?, tp: Double?, bar: Int) {
        nextTradeID += 1
        var trade = Trade(id: nextTradeID, size: size, entryPrice: price, entryBar: bar)
        cash -= commission(Double(size), price)
        if let tp, tp != 0 {
            let id = newOrderID()
            orders.append(Order(id: id, size: Double(-size), limit: tp, trade: trade.id, role: .takeProfit))
            trade.tpOrder = id
            trade.tp = tp
        }
        if let sl, sl != 0 {
            let id = newOrderID()
            orders.insertShifting(Order(id: id, size: Double(-size), stop: sl, trade: trade.id, role: .stopLoss), at: 0)
            trade.slOrder = id
            trade.sl = sl
        }
        trades.append(trade)
    }

    /// Reduces trade `t` by `size` units (signed opposite to the trade); a full reduction
    /// closes it, a partial one records the closed part as its own trade (without SL/TP).
    private mutating func reduceTrade(at t: Int, price: Double, size: Int, bar: Int) {
        let left = trades[t].size + size
        if left == 0 {
            closeTrade(at: t, price: price, bar: bar)
            return
        }
        trades[t].size = left
        for k in orders.indices where orders[k].trade == trades[t].id && orders[k].isContingent {
            orders[k].size = Double(-left)
        }
        nextTradeID += 1
        let part = Trade(id: nextTradeID, size: -size, entryPrice: trades[t].entryPrice, entryBar: trades[t].entryBar)
        trades.append(part)
        closeTrade(at: trades.count - 1, price: price, bar: bar)
    }

    private mutating func closeTrade(at t: Int, price: Double, bar: Int) {
        let trade = trades.removeShifting(at: t)
        if trade.slOrder >= 0 { removeOrder(trade.slOrder) }
        if trade.tpOrder >= 0 { removeOrder(trade.tpOrder) }
        let size = Double(trade.size)
        let exitFee = commission(size, price)
        let gross = size * (price - trade.entryPrice)
        cash += gross - exitFee
        let fees = exitFee + commission(size, trade.entryPrice)
        let returnPct = copysign(1, size) * (price / trade.entryPrice - 1) - fees / (abs(size) * trade.entryPrice)
        closed.append(
            TradeRecord(
                size: trade.size,
                entryBar: trade.entryBar,
                exitBar: bar,
                entryPrice: trade.entryPrice,
                exitPrice: price,
                sl: trade.sl,
                tp: trade.tp,
                pnl: gross - fees,
                returnPct: returnPct,
                commission: fees,
                entryTime: bars.timestamps[trade.entryBar],
                exitTime: bars.timestamps[bar]
            )
        )
    }

    /// Trades still open, as records.
    var openTradeRecords: [OpenTradeRecord] {
        trades.map {
            OpenTradeRecord(
                size: $0.size,
                entryBar: $0.entryBar,
                entryTime: bars.timestamps[$0.entryBar],
                entryPrice: $0.entryPrice,
                sl: $0.sl,
                tp: $0.tp
            )
        }
    }
}

extension Array {
    /// `remove(at:)` for the broker's short queues: moves the later elements down one by one
    /// instead of calling `memmove` (a few elements; the call cost more than the copies).
    @inline(__always)
    @discardableResult
    mutating func removeShifting(at k: Int) -> Element {
        let removed = self[k]
        withUnsafeMutableBufferPointer { b in
            var j = k
            while j + 1 < b.count {
                b[j] = b[j + 1]
                j += 1
            }
        }
        removeLast()
        return removed
    }

    /// `insert(_:at:)` for the broker's short queues, moving the later elements up one by one.
    @inline(__always)
    mutating func insertShifting(_ element: Element, at k: Int) {
        append(element)
        withUnsafeMutableBufferPointer { b in
            var j = b.count - 1
            while j > k {
                b[j] = b[j - 1]
                j -= 1
            }
            b[k] = element
        }
    }
}

/// Python's float floor division `a // b`.
@inlinable
func pyFloorDiv(_ a: Double, _ b: Double) -> Double {
    let m = fmodPositive(a, b)
    var q = (a - m) / b
    if m != 0 && ((b < 0) != (m < 0)) { q -= 1 }
    let fl = q.rounded(.down)
    return q - fl > 0.5 ? fl + 1 : fl
}

/// C's `fmod(a, b)`, exactly, without its bit-by-bit long division in the common case
/// `a >= 0`, `b > 0`, `a / b < 2^52`: with `q = trunc(fl(a / b))`, which is the true
/// quotient's integer part or one off, `a - q * b` rounded once (a fused multiply-add) is
/// the exact remainder when it lands in `[0, b)`: the remainder is representable, and one
/// off lands below 0 or at or above `b` (rounding is monotonic and `b` is a double).
@inlinable
func fmodPositive(_ a: Double, _ b: Double) -> Double {
    if a >= 0 && b > 0 && a < b * 0x1p52 && b.isFinite {
        let q = (a / b).rounded(.towardZero)
        let r = a.addingProduct(-q, b)
        if r >= 0 && r < b { return r }
    }
    return a.truncatingRemainder(dividingBy: b)  // C fmod
}

@inlinable
func copysign(_ magnitude: Double, _ sign: Double) -> Double {
    Double(signOf: sign, magnitudeOf: magnitude)
}
