import BacktestEngine

extension RulesPlan {
    /// What instantiation needs besides the graph.
    struct Context {
        var ir: RulesIR
        /// Parameter values in declaration order (booleans as 0 and 1).
        var values: [Double]
        var limits: RulesLimits
        /// Where each statement starts, for errors.
        var positions: [SourcePosition]
    }

    /// Instantiates `context.ir` with `context.values`: checks every period and history
    /// offset, folds constants and builds the node graph of the actions.
    static func make(_ context: Context) throws(RulesError) -> RulesPlan {
        let ir = context.ir
        let constants = ir.constants(context.values)
        var plan = RulesPlan()
        var reachable = [Bool](repeating: false, count: ir.nodes.count)
        for a in ir.actions { reachable[a.condition] = true }
        for i in ir.nodes.indices.reversed() where reachable[i] {
            for c in ir.nodes[i].op.children { reachable[c] = true }
        }
        var map = [Int](repeating: -1, count: ir.nodes.count)
        for i in ir.nodes.indices where reachable[i] {
            map[i] = try plan.instantiate(i, map, constants, context)
        }
        plan.registered = ir.registered.map { map[$0] }
        for a in ir.actions {
            let c = map[a.condition]
            if case .flag(let b) = plan.nodes[c].op {
                if b { plan.actions.append(Action(action: a.action, condition: -1)) }
            } else {
                plan.actions.append(Action(action: a.action, condition: c))
            }
        }
        try plan.settle(context)
        plan.markLive()
        return plan
    }

    private mutating func instantiate(_ i: Int, _ map: [Int], _ constants: [Double], _ context: Context) throws(RulesError) -> Int {
        let node = context.ir.nodes[i]
        if node.isConstant {
            return add(node.type == .bool ? .flag(constants[i] != 0) : .constant(constants[i]))
        }
        switch node.op {
        case .series(let f):
            return add(.series(f))
        case .negate(let a):
            return add(.negate(map[a]))
        case .arithmetic(let op, let a, let b):
            return add(.arithmetic(op, map[a], map[b]))
        case .compare(let op, let a, let b):
            return add(.compare(op, map[a], map[b]))
        case .logic(let op, let a, let b):
            return logic(op, map[a], map[b])
        case .not(let a):
            if case .flag(let b) = nodes[map[a]].op { return add(.flag(!b)) }
            return add(.not(map[a]))
        case .history(let a, let offset):
            let n = try Self.window(offset, constants, context, minimum: 0, "the history offset of \(node.text)")
            return n == 0 ? map[a] : add(.shift(map[a], n))
        case .cross(let a, let b):
            return add(.cross(map[a], map[b]))
        case .call(let f, let arguments):
            var source = -1
            var periods: [Int] = []
            var factor = 0.0
            for (k, kind) in f.arguments.enumerated() {
                let argument = arguments[k]
                switch kind {
                case .source: source = map[argument]
                case .period: periods.append(try Self.window(argument, constants, context, minimum: 1, "a period of \(node.text)"))
                case .real: factor = constants[argument]
                }
            }
            return add(.indicator(f, source: source, periods: periods, factor: factor))
        case .field(let r, let name):
            return add(.field(map[r], name))
        case .number, .flag, .parameter:
            return add(.constant(constants[i]))
        }
    }

    /// `and`/`or` with a constant side folded away.
    private mutating func logic(_ op: S.BinaryOperator, _ a: Int, _ b: Int) -> Int {
        for (x, y) in [(a, b), (b, a)] {
            if case .flag(let v) = nodes[x].op {
                if op == .and { return v ? y : add(.flag(false)) }
                return v ? add(.flag(true)) : y
            }
        }
        return add(.logic(op, a, b))
    }

    /// The value of a window argument: a whole number in `minimum...maxLookback`.
    private static func window(_ node: Int, _ constants: [Double], _ context: Context, minimum: Int, _ what: String) throws(RulesError) -> Int {
        let v = constants[node]
        if v.rounded() == v, v >= Double(minimum), v <= Double(context.limits.maxLookback), v < 0x1p62 { return Int(v) }
        // The error: which parameters gave this value, and where.
        let ir = context.ir
        let parameters = ir.parametersUsed(by: node)
        let name = parameters.first.map { ir.parameters[$0].name }
        let statement = ir.nodes[node].statement
        let at = context.positions.indices.contains(statement) ? context.positions[statement] : SourcePosition(line: 1, column: 1)
        let values = parameters.map { "\(ir.parameters[$0].name) = \(RulesFormat.number(context.values[$0]))" }.joined(separator: ", ")
        let given = values.isEmpty ? "" : " (\(values))"
        guard v.rounded() == v, v >= Double(minimum) else {
            throw RulesError(
                .parameterOutOfRange,
                at: at,
                "expected a whole number >= \(minimum) as \(what), found \(RulesFormat.number(v))\(given)",
                parameter: name
            )
        }
        throw RulesError(
            .limitExceeded,
            at: at,
            "\(what) is \(RulesFormat.number(v))\(given); maxLookback is \(context.limits.maxLookback)",
            parameter: name,
            limit: "maxLookback"
        )
    }

    /// Size, stop-loss and take-profit from the program's statements.
    private mutating func settle(_ context: Context) throws(RulesError) {
        if let a = context.ir.size {
            let f = try Self.amount(a, context, "size", within: { $0 > 0 && $0 <= 1 }, "in (0, 1]")
            size = f == 1 ? fullEquityFraction : f
        }
        if let a = context.ir.stopLoss {
            brackets.slPct = try Self.amount(a, context, "stop_loss", within: { $0 > 0 && $0 < 1 }, "in (0, 1) (0% to 100%)")
        }
        if let a = context.ir.takeProfit {
            brackets.tpPct = try Self.amount(a, context, "take_profit", within: { $0 > 0 && $0.isFinite }, "> 0")
        }
    }

    private static func amount(
        _ a: RulesIR.Amount,
        _ context: Context,
        _ word: String,
        within: (Double) -> Bool,
        _ range: String
    ) throws(RulesError) -> Double {
        switch a.source {
        case .fraction(let v):
            return v
        case .parameter(let p, let percent):
            let v = percent ? context.values[p] / 100 : context.values[p]
            guard within(v) else {
                let name = context.ir.parameters[p].name
                let at = context.positions.indices.contains(a.statement) ? context.positions[a.statement] : SourcePosition(line: 1, column: 1)
                throw RulesError(
                    .parameterOutOfRange,
                    at: at,
                    "expected \(word) as a fraction \(range), found \(RulesFormat.number(v)) (\(name) = \(RulesFormat.number(context.values[p])))",
                    parameter: name
                )
            }
            return v
        }
    }
}
