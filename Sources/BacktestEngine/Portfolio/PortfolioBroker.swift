/// One cash account holding several tickers, rebalanced to target weights (PORTFOLIO.md
/// section 5): sells first, then buys from the smallest to the largest, whole or fractional
/// units, partial fills when cash runs short, vectorbt's tolerances.
struct PortfolioBroker {
    /// Cash in the account.
    var cash: Double
    /// Units held per ticker.
    var positions: [Double]
    /// Commission rate.
    let commission: Double
    /// Any positive size, or whole units.
    let fractional: Bool
    /// The fills so far, in execution order.
    var orders: [PortfolioOrder] = []
    /// Their commissions, added as they fill (in execution order, from 0.0).
    private(set) var commissions = 0.0

    /// Scratch: each ticker's valuation price, sort key and the execution sequence.
    private var value: [Double] = []
    private var keys: [Double] = []
    private var sequence: [Int] = []

    /// The smallest order size (vectorbt's `min_size`).
    static let minSize = 1e-8

    init(cash: Double, tickers: Int, commission: Double, fractional: Bool) {
        self.cash = cash
        positions = Array(repeating: 0, count: tickers)
        self.commission = commission
        self.fractional = fractional
    }

    /// Rebalances to `weights` on fill bar `bar`. `prices[i]` is ticker `i`'s fill price, or
    /// NaN when it has no bar there; `lastClose[i]` its last close (NaN before its first bar).
    mutating func rebalance(
        to weights: [Double],
        prices: [Double],
        lastClose: [Double],
        bar: Int,
        decisionBar: Int
    ) {
        let count = positions.count
        // 5.1 Valuation before any fill (scratch buffers reused from one rebalance to the next).
        if value.count != count {
            value = [Double](repeating: .nan, count: count)
            keys = value
            sequence = Array(0..<count)
        }
        let total = valuation(prices: prices, lastClose: lastClose)
        guard total > 0 else { return }
        orderSequence(weights: weights, total: total)
        // 5.3 Each tradable ticker in that sequence.
        for i in sequence where !prices[i].isNaN {
            let p = prices[i]
            let d = weights[i] * total / p - positions[i]
            if d > 0 {
                buy(i, target: d, price: p, bar: bar, decisionBar: decisionBar)
            } else {
                sell(i, target: d, price: p, bar: bar, decisionBar: decisionBar)
            }
        }
    }

    /// Each ticker's valuation price (its fill price, or its last close without a bar), and
    /// cash plus the holdings at those prices. The loops of this and ``orderSequence(weights:total:)``
    /// write the scratch buffers through their pointers: no uniqueness check per element.
    private mutating func valuation(prices: [Double], lastClose: [Double]) -> Double {
        var total = cash
        positions.withUnsafeBufferPointer { q in
            value.withUnsafeMutableBufferPointer { value in
                for i in q.indices {
                    value[i] = prices[i].isNaN ? lastClose[i] : prices[i]
                    if q[i] != 0 { total = total + q[i] * value[i] }
                }
            }
        }
        return total
    }

    /// 5.2 The execution sequence: ascending key (`weight·total − held value`), undefined keys
    /// (no valuation price) last, ties in ticker order; an insertion sort of the ticker indices
    /// for a handful of tickers (no allocation).
    private mutating func orderSequence(weights: [Double], total: Double) {
        let count = positions.count
        positions.withUnsafeBufferPointer { q in
            value.withUnsafeBufferPointer { value in
                keys.withUnsafeMutableBufferPointer { keys in
                    for i in q.indices { keys[i] = value[i].isNaN ? .nan : (weights[i] * total) - (q[i] * value[i]) }
                }
            }
        }
        if count > 32 {
            for i in 0..<count { sequence[i] = i }
            let keys = self.keys
            sequence.sort { Self.runsBefore($0, $1, keys) }
            return
        }
        keys.withUnsafeBufferPointer { keys in
            sequence.withUnsafeMutableBufferPointer { sequence in
                for j in 0..<count {
                    var k = j
                    while k > 0 && Self.runsBefore(j, sequence[k - 1], keys) {
                        sequence[k] = sequence[k - 1]
                        k -= 1
                    }
                    sequence[k] = j
                }
            }
        }
    }

    private mutating func buy(_ i: Int, target d: Double, price p: Double, bar: Int, decisionBar: Int) {
        let c = commission
        var size = fractional ? d : d.floored
        var fee = size * p * c
        var spent = size * p + fee
        var partial = false
        if !(spent <= cash || Self.isClose(spent, cash)) {
            partial = true
            let m = cash / (1 + c)
            guard m > 0 else { return }
            let a = m / p
            if fractional {
                size = a
                fee = cash - m
                spent = cash
            } else {
                size = a.floored
                let cost = size * p
                fee = cost * c
                spent = cost + fee
            }
        }
        guard !Self.isLess(size, Self.minSize) else { return }
        cash = Self.add(cash, -spent)
        positions[i] = Self.add(positions[i], size)
        orders.append(
            PortfolioOrder(
                bar: bar,
                decisionBar: decisionBar,
                ticker: i,
                size: size,
                price: p,
                commission: fee,
                partial: partial
            )
        )
        commissions += fee
    }

    private mutating func sell(_ i: Int, target d: Double, price p: Double, bar: Int, decisionBar: Int) {
        let q = positions[i]
        guard q != 0 else { return }
        var s = min(q, -d)
        if !fractional { s = s.floored }
        guard !Self.isLess(s, Self.minSize) else { return }
        let gross = s * p
        let fee = gross * commission
        cash = cash + Self.add(gross, -fee)
        positions[i] = Self.add(q, -s)
        orders.append(
            PortfolioOrder(bar: bar, decisionBar: decisionBar, ticker: i, size: -s, price: p, commission: fee, partial: false)
        )
        commissions += fee
    }

    /// Whether ticker `a` executes before ticker `b`: the smaller key first, undefined keys
    /// last, ties in ticker order.
    @inline(__always)
    private static func runsBefore<Keys: RandomAccessCollection<Double>>(_ a: Int, _ b: Int, _ keys: Keys) -> Bool where Keys.Index == Int {
        let ka = keys[a]
        let kb = keys[b]
        if ka.isNaN || kb.isNaN { return ka.isNaN == kb.isNaN ? a < b : kb.isNaN }
        return ka != kb ? ka < kb : a < b
    }

    /// Equal within vectorbt's tolerances: relative 1e-9, absolute 1e-12.
    static func isClose(_ a: Double, _ b: Double) -> Bool {
        a == b || abs(a - b) <= max(1e-9 * max(abs(a), abs(b)), 1e-12)
    }

    /// Below, and not close.
    static func isLess(_ a: Double, _ b: Double) -> Bool {
        !isClose(a, b) && a < b
    }

    /// `a + b`, snapped to 0 when the two cancel within the tolerances.
    static func add(_ a: Double, _ b: Double) -> Double {
        if a.sign0 != b.sign0 {
            if isClose(abs(a), abs(b)) { return 0 }
        } else if isClose(a + b, 0) {
            return 0
        }
        return a + b
    }
}

extension Double {
    /// -1, 0 or 1.
    fileprivate var sign0: Int { self > 0 ? 1 : self < 0 ? -1 : 0 }

    /// `rounded(.down)`, the same value: above 0 and below 2⁵² by truncation through `Int64`
    /// (inline; there truncation is the floor), else `rounded(.down)` (a libm call on the
    /// baseline x86-64 target, which has no rounding instruction).
    @inline(__always)
    fileprivate var floored: Double {
        self > 0 && self < 4_503_599_627_370_496 ? Double(Int64(self)) : rounded(.down)
    }
}
