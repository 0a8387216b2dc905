import BacktestEngine

/// A program instantiated with parameter values: the indicator graph with every constant
/// folded (periods are numbers, `allow_short and …` with `allow_short = false` is gone),
/// the actions and the order settings. ``RulesStrategy`` evaluates it over the bars once
/// (``RulesPlan/evaluate(_:)``) into one bit mask per bar, and its `next` reads the mask.
struct RulesPlan: Sendable {
    typealias S = RulesSyntax

    /// What a node computes; children are node indices (always smaller than the node's).
    enum Op: Sendable, Hashable {
        case constant(Double)
        case flag(Bool)
        case series(BarField)
        case negate(Int)
        case arithmetic(S.BinaryOperator, Int, Int)
        case compare(S.BinaryOperator, Int, Int)
        case logic(S.BinaryOperator, Int, Int)
        case not(Int)
        case shift(Int, Int)
        case cross(Int, Int)
        /// An indicator of `source` (-1 for atr and donchian, which read the bars).
        case indicator(RulesFunction, source: Int, periods: [Int], factor: Double)
        case field(Int, String)

        var children: [Int] {
            switch self {
            case .constant, .flag, .series: return []
            case .negate(let a), .not(let a), .shift(let a, _), .field(let a, _): return [a]
            case .arithmetic(_, let a, let b), .compare(_, let a, let b), .logic(_, let a, let b), .cross(let a, let b): return [a, b]
            case .indicator(_, let source, _, _): return source >= 0 ? [source] : []
            }
        }
    }

    /// One node.
    struct Node: Sendable {
        var op: Op
        /// Bars before the first defined value, on data without NaN.
        var lookback: Int
        /// Needed by an action or for the warm-up (others are not computed).
        var live = false
    }

    /// An action and the node of its condition (-1: on every bar).
    struct Action: Sendable {
        var action: S.Action
        var condition: Int
    }

    var nodes: [Node] = []
    var actions: [Action] = []
    /// Nodes registered with the engine (warm-up and reports), in order.
    var registered: [Int] = []
    /// The order size: a fraction of equity in (0, 1) (``fullEquityFraction`` for all).
    var size = fullEquityFraction
    /// Stop-loss and take-profit distances as fractions of the signal bar's close.
    var brackets = Brackets()
    /// The longest lookback of a live node, in bars.
    var lookback = 0

    private var index: [Op: Int] = [:]

    /// Adds `op` (or finds it) and returns its index.
    mutating func add(_ op: Op) -> Int {
        if let existing = index[op] { return existing }
        let own: Int
        switch op {
        case .shift(_, let n): own = n
        case .cross: own = 1
        case .indicator(let f, _, let p, _): own = Self.lookback(f, p)
        case .field(let r, let name):
            if case .indicator(.macd, _, let p, _) = nodes[r].op, name != "line" { own = p[2] - 1 } else { own = 0 }
        default: own = 0
        }
        let base = op.children.map { nodes[$0].lookback }.max() ?? 0
        nodes.append(Node(op: op, lookback: base + own))
        index[op] = nodes.count - 1
        return nodes.count - 1
    }

    /// Bars before an indicator's first value on data without NaN.
    static func lookback(_ f: RulesFunction, _ p: [Int]) -> Int {
        switch f {
        case .sma, .ema, .wma, .stdev, .highest, .lowest, .bbands: return p[0] - 1
        case .rsi, .atr, .roc, .change, .donchian: return p[0]
        case .macd: return max(p[0], p[1]) - 1
        }
    }

    /// Marks the nodes the actions and the registered indicators need.
    mutating func markLive() {
        for a in actions where a.condition >= 0 { nodes[a.condition].live = true }
        for r in registered { nodes[r].live = true }
        for i in nodes.indices.reversed() where nodes[i].live {
            for c in nodes[i].op.children { nodes[c].live = true }
            lookback = max(lookback, nodes[i].lookback)
        }
    }
}
