import BacktestEngine

/// The checked program, independent of parameter values: a graph of typed expression
/// nodes (shared: the same expression written twice is one node), the parameters, the
/// actions and the order settings. ``RulesPlan`` instantiates it with parameter values.
struct RulesIR: Sendable {
    /// The type of an expression.
    enum ValueType: Sendable, Hashable {
        case number, bool
        /// The result of a function with several outputs, before its field is chosen.
        case record(RulesFunction)

        var name: String {
            switch self {
            case .number: return "a number"
            case .bool: return "a condition"
            case .record(let f): return "the \(f.rawValue) result (choose a field: \(f.fields.joined(separator: ", ")))"
            }
        }
    }

    /// What a node computes; children are node indices (always smaller than the node's).
    enum Op: Sendable, Hashable {
        case number(Double)
        case flag(Bool)
        case parameter(Int)
        case series(BarField)
        case negate(Int)
        /// `+ - * /`.
        case arithmetic(RulesSyntax.BinaryOperator, Int, Int)
        /// `< <= > >= == !=`.
        case compare(RulesSyntax.BinaryOperator, Int, Int)
        /// `and`, `or`.
        case logic(RulesSyntax.BinaryOperator, Int, Int)
        case not(Int)
        /// `value[offset]`.
        case history(Int, offset: Int)
        /// `crossover(a, b)` (`crossunder(a, b)` is `crossover(b, a)`).
        case cross(Int, Int)
        case call(RulesFunction, [Int])
        case field(Int, String)
    }

    /// One node.
    struct Node: Sendable, Hashable {
        var op: Op
        var type: ValueType
        /// Depends on parameters and numbers only (no series).
        var isConstant: Bool
        /// Canonical text, with `let` names replaced by their expressions.
        var text: String
        /// Precedence of the text's outermost operator.
        var precedence: Int
        /// The statement that first wrote it.
        var statement: Int
    }

    /// A declared parameter.
    struct Parameter: Sendable, Hashable {
        var name: String
        var kind: ParameterKind
        var defaultValue: ParameterValue
        var minimum: Double?
        var maximum: Double?
        var statement: Int
    }

    /// An action statement.
    struct Action: Sendable, Hashable {
        var action: RulesSyntax.Action
        /// Its condition (a `bool` node).
        var condition: Int
        var statement: Int
    }

    /// The value of `size`, `stop_loss` or `take_profit`.
    struct Amount: Sendable, Hashable {
        enum Source: Sendable, Hashable {
            /// A number, already a fraction (`2%` is 0.02, exactly as the literal 0.02).
            case fraction(Double)
            /// A parameter; divided by 100 when written with '%'.
            case parameter(Int, percent: Bool)
        }
        var source: Source
        var statement: Int
    }

    /// A `require` statement.
    struct Requirement: Sendable, Hashable {
        var condition: Int
        var statement: Int
    }

    var nodes: [Node] = []
    var parameters: [Parameter] = []
    var actions: [Action] = []
    var requirements: [Requirement] = []
    var size: Amount?
    var stopLoss: Amount?
    var takeProfit: Amount?
    /// Indicator nodes the actions use (calls, and fields of several-output calls), in
    /// node order: each is registered with the engine (warm-up and reports).
    var registered: [Int] = []
    /// The canonical text of every indicator call the actions use, in node order.
    var indicatorSummaries: [String] = []
    /// Warnings, with the statement they are about.
    var warnings: [(statement: Int, message: String)] = []
}

extension RulesIR {
    /// The value of every constant node for parameter values `values` (booleans as 0 and
    /// 1), NaN for the others; one pass in node order (children come first), so a chain of
    /// `let`s that reuse each other costs its length, not more. Comparisons with NaN are
    /// false, as everywhere in the language.
    func constants(_ values: [Double]) -> [Double] {
        var out = [Double](repeating: .nan, count: nodes.count)
        for (i, node) in nodes.enumerated() where node.isConstant {
            switch node.op {
            case .number(let v): out[i] = v
            case .flag(let b): out[i] = b ? 1 : 0
            case .parameter(let p): out[i] = values[p]
            case .negate(let a): out[i] = -out[a]
            case .arithmetic(let op, let a, let b): out[i] = Self.arithmetic(op, out[a], out[b])
            case .compare(let op, let a, let b): out[i] = Self.compare(op, out[a], out[b]) ? 1 : 0
            case .logic(let op, let a, let b):
                let x = out[a] != 0
                let y = out[b] != 0
                out[i] = (op == .and ? x && y : x || y) ? 1 : 0
            case .not(let a): out[i] = out[a] != 0 ? 0 : 1
            case .history(let a, _): out[i] = out[a]
            case .cross: out[i] = 0  // constants never cross
            case .series, .call, .field: out[i] = .nan
            }
        }
        return out
    }

    @inline(__always)
    static func arithmetic(_ op: RulesSyntax.BinaryOperator, _ x: Double, _ y: Double) -> Double {
        switch op {
        case .add: return x + y
        case .subtract: return x - y
        case .multiply: return x * y
        default: return x / y
        }
    }

    /// A comparison; every comparison with NaN is false (`!=` too).
    @inline(__always)
    static func compare(_ op: RulesSyntax.BinaryOperator, _ x: Double, _ y: Double) -> Bool {
        switch op {
        case .less: return x < y
        case .lessEqual: return x <= y
        case .greater: return x > y
        case .greaterEqual: return x >= y
        case .equal: return x == y
        default: return x != y && !x.isNaN && !y.isNaN
        }
    }

    /// The parameters a node depends on, in declaration order.
    func parametersUsed(by index: Int) -> [Int] {
        var seen = Set<Int>()
        var stack = [index]
        var visited = Set<Int>()
        while let i = stack.popLast() {
            guard visited.insert(i).inserted else { continue }
            if case .parameter(let p) = nodes[i].op { seen.insert(p) }
            stack += nodes[i].op.children
        }
        return seen.sorted()
    }
}

extension RulesIR.Op {
    /// The child node indices.
    var children: [Int] {
        switch self {
        case .number, .flag, .parameter, .series: return []
        case .negate(let a), .not(let a), .field(let a, _): return [a]
        case .arithmetic(_, let a, let b), .compare(_, let a, let b), .logic(_, let a, let b), .cross(let a, let b): return [a, b]
        case .history(let a, let offset): return [a, offset]
        case .call(_, let arguments): return arguments
        }
    }
}
