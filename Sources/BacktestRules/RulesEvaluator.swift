import BacktestEngine

/// Computes a ``RulesPlan``'s live nodes over the bars, all bars at once, in node order.
///
/// A comparison or crossover of two `sma` nodes goes through ``Indicators/order(_:_:)``
/// on running SMAs (the built-in crossover strategies' path: the exact SMAs' answers, in
/// O(bars)); anything else that reads an `sma` gets its exact left-to-right values.
struct RulesEvaluator {
    /// A node's value.
    enum Value {
        case none
        case number(Double)
        case flag(Bool)
        case numbers([Double])
        case flags([Bool])
        case record([[Double]])
        case sma(RunningSMA, exact: [Double]?)
    }

    /// One side of a comparison.
    enum Column {
        case scalar(Double)
        case array([Double])

        @inline(__always)
        subscript(i: Int) -> Double {
            switch self {
            case .scalar(let v): return v
            case .array(let a): return a[i]
            }
        }
    }

    let plan: RulesPlan
    let bars: Bars
    let count: Int
    var values: [Value]
    /// `Indicators.order` of pairs of sma nodes, by (smaller, larger) node index.
    var orders: [Pair: [Int8]] = [:]

    struct Pair: Hashable {
        var a: Int
        var b: Int
    }

    init(plan: RulesPlan, bars: Bars) {
        self.plan = plan
        self.bars = bars
        self.count = bars.count
        self.values = [Value](repeating: .none, count: plan.nodes.count)
    }

    /// Computes every live node; running SMAs of the bars' own columns come from the run's
    /// ``IndicatorCache`` through `setup`.
    ///
    /// An intermediate node's values are dropped after their last use, so memory follows
    /// the widest point of the graph, not its size.
    mutating func run(_ setup: inout StrategySetup) {
        var lastUse = [Int](repeating: -1, count: plan.nodes.count)
        for (i, node) in plan.nodes.enumerated() where node.live {
            for c in node.op.children { lastUse[c] = i }
        }
        // An sma reads its source again when its exact values are asked for.
        for i in plan.nodes.indices.reversed() {
            if case .indicator(.sma, let source, _, _) = plan.nodes[i].op { lastUse[source] = max(lastUse[source], lastUse[i]) }
        }
        var kept = Set(plan.registered)
        for r in plan.registered {
            if case .field(let record, _) = plan.nodes[r].op { kept.insert(record) }  // a MACD's histogram
        }
        for a in plan.actions where a.condition >= 0 { kept.insert(a.condition) }
        for i in plan.nodes.indices where plan.nodes[i].live {
            values[i] = compute(plan.nodes[i].op, &setup)
            for c in plan.nodes[i].op.children where lastUse[c] == i && !kept.contains(c) {
                values[c] = .none
            }
        }
    }

    private mutating func compute(_ op: RulesPlan.Op, _ setup: inout StrategySetup) -> Value {
        switch op {
        case .constant(let v): return .number(v)
        case .flag(let b): return .flag(b)
        case .series(let f): return .numbers(f.values(bars))
        case .negate(let a): return .numbers(numbers(a).map { -$0 })
        case .arithmetic(let op, let a, let b): return .numbers(arithmetic(op, column(a), column(b)))
        case .compare(let op, let a, let b): return .flags(compare(op, a, b))
        case .logic(let op, let a, let b):
            let x = flags(a)
            let y = flags(b)
            var out = [Bool](repeating: false, count: count)
            for i in 0..<count { out[i] = op == .and ? x[i] && y[i] : x[i] || y[i] }
            return .flags(out)
        case .not(let a): return .flags(flags(a).map { !$0 })
        case .shift(let a, let n):
            if case .flags(let x) = values[a] { return .flags(RulesMath.shift(x, n)) }
            return .numbers(RulesMath.shift(numbers(a), n))
        case .cross(let a, let b): return .flags(cross(a, b))
        case .indicator(let f, let source, let periods, let factor):
            return indicator(f, source, periods, factor, &setup)
        case .field(let r, let name):
            guard case .record(let columns) = values[r], case .indicator(let f, _, _, _) = plan.nodes[r].op,
                let k = f.fields.firstIndex(of: name), k < columns.count
            else { return .numbers([Double](repeating: .nan, count: count)) }
            return .numbers(columns[k])
        }
    }

    private mutating func indicator(_ f: RulesFunction, _ source: Int, _ p: [Int], _ k: Double, _ setup: inout StrategySetup) -> Value {
        let x = source >= 0 ? numbers(source) : []
        switch f {
        case .sma:
            if case .series(let field) = plan.nodes[source].op {
                return .sma(setup.runningSMA(field.values(bars), p[0]), exact: nil)
            }
            return .sma(RunningSMA(x, p[0]), exact: nil)
        case .ema: return .numbers(Indicators.ema(x, p[0]))
        case .wma: return .numbers(RulesMath.wma(x, p[0]))
        case .rsi: return .numbers(RulesMath.rsi(x, p[0]))
        case .stdev: return .numbers(RulesMath.stdev(x, p[0]))
        case .highest: return .numbers(RulesMath.extreme(x, p[0], largest: true))
        case .lowest: return .numbers(RulesMath.extreme(x, p[0], largest: false))
        case .roc: return .numbers(RulesMath.roc(x, p[0]))
        case .change: return .numbers(RulesMath.change(x, p[0]))
        case .atr: return .numbers(RulesMath.atr(high: bars.high, low: bars.low, close: bars.close, p[0]))
        case .macd:
            let m = Indicators.macd(x, fast: p[0], slow: p[1], signal: p[2])
            return .record([m.line, m.signal, zip(m.line, m.signal).map { $0 - $1 }])
        case .bbands:
            let b = Indicators.bollinger(x, p[0], k)
            return .record([b.upper, b.mid, b.lower])
        case .donchian:
            let d = RulesMath.donchian(high: bars.high, low: bars.low, p[0])
            return .record([d.upper, d.lower])
        }
    }

    // MARK: Reading values

    /// A number node's values on every bar (an sma's exact values, computed on first use).
    mutating func numbers(_ i: Int) -> [Double] {
        switch values[i] {
        case .numbers(let x): return x
        case .number(let v): return [Double](repeating: v, count: count)
        case .sma(let running, let exact):
            if let exact { return exact }
            guard case .indicator(_, let source, let p, _) = plan.nodes[i].op else { return running.values }
            let computed = Indicators.sma(numbers(source), p[0])
            values[i] = .sma(running, exact: computed)
            return computed
        default: return [Double](repeating: .nan, count: count)
        }
    }

    /// A number node as a scalar or an array.
    mutating func column(_ i: Int) -> Column {
        if case .number(let v) = values[i] { return .scalar(v) }
        return .array(numbers(i))
    }

    /// A condition node's values on every bar.
    func flags(_ i: Int) -> [Bool] {
        switch values[i] {
        case .flags(let x): return x
        case .flag(let b): return [Bool](repeating: b, count: count)
        default: return [Bool](repeating: false, count: count)
        }
    }

    /// The running SMA of node `i`, when it is an sma.
    func running(_ i: Int) -> RunningSMA? {
        if case .sma(let r, _) = values[i] { return r }
        return nil
    }

    // MARK: Operators

    private func arithmetic(_ op: RulesSyntax.BinaryOperator, _ a: Column, _ b: Column) -> [Double] {
        var out = [Double](repeating: .nan, count: count)
        for i in 0..<count { out[i] = RulesIR.arithmetic(op, a[i], b[i]) }
        return out
    }

    /// `Indicators.order(a, b)` of two sma nodes, shared with the reverse pair: the order
    /// and its sign (-1 when it is `order(b, a)`, to be read negated).
    private mutating func order(_ a: Int, _ b: Int, _ x: RunningSMA, _ y: RunningSMA) -> (order: [Int8], sign: Int8) {
        if let o = orders[Pair(a: a, b: b)] { return (o, 1) }
        if let o = orders[Pair(a: b, b: a)] { return (o, -1) }
        let o = Indicators.order(x, y)
        orders[Pair(a: a, b: b)] = o
        return (o, 1)
    }

    private mutating func compare(_ op: RulesSyntax.BinaryOperator, _ a: Int, _ b: Int) -> [Bool] {
        var out = [Bool](repeating: false, count: count)
        if let x = running(a), let y = running(b) {
            // Order is 1, -1, or 0 for equal or undefined; equality needs both defined.
            let (o, sign) = order(a, b, x, y)
            let xs = x.values
            let ys = y.values
            for i in 0..<count {
                let defined = !xs[i].isNaN && !ys[i].isNaN
                let v = o[i] * sign
                switch op {
                case .less: out[i] = v < 0
                case .lessEqual: out[i] = v < 0 || (v == 0 && defined)
                case .greater: out[i] = v > 0
                case .greaterEqual: out[i] = v > 0 || (v == 0 && defined)
                case .equal: out[i] = v == 0 && defined
                default: out[i] = v != 0
                }
            }
            return out
        }
        let x = column(a)
        let y = column(b)
        for i in 0..<count { out[i] = RulesIR.compare(op, x[i], y[i]) }
        return out
    }

    /// backtesting.py's `crossover(a, b)` on every bar: `a[i-1] < b[i-1] and a[i] > b[i]`.
    private mutating func cross(_ a: Int, _ b: Int) -> [Bool] {
        var out = [Bool](repeating: false, count: count)
        guard count >= 2 else { return out }
        if let x = running(a), let y = running(b) {
            let (o, sign) = order(a, b, x, y)
            o.withUnsafeBufferPointer { o in
                out.withUnsafeMutableBufferPointer { out in
                    if sign > 0 {
                        for i in 1..<count { out[i] = o[i - 1] < 0 && o[i] > 0 }
                    } else {
                        for i in 1..<count { out[i] = o[i - 1] > 0 && o[i] < 0 }
                    }
                }
            }
            return out
        }
        let x = column(a)
        let y = column(b)
        for i in 1..<count { out[i] = x[i - 1] < y[i - 1] && x[i] > y[i] }
        return out
    }
}
