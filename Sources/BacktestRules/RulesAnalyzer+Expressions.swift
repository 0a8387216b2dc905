import BacktestEngine

extension RulesAnalyzer {
    typealias ValueType = RulesIR.ValueType

    /// Longest text kept for a node (error messages and summaries); longer texts are cut,
    /// so a chain of `let`s that double each other cannot grow them without bound.
    static let maxTextLength = 160

    /// The node of `op`, adding it when new.
    mutating func add(_ op: RulesIR.Op, _ type: ValueType, constant: Bool, text: String, precedence: Int) -> Int {
        if let existing = nodeIndex[op] { return existing }
        var text = text
        if text.utf8.count > Self.maxTextLength { text = String(text.prefix(Self.maxTextLength - 3)) + "..." }
        let node = RulesIR.Node(op: op, type: type, isConstant: constant, text: text, precedence: precedence, statement: statement)
        ir.nodes.append(node)
        nodeIndex[op] = ir.nodes.count - 1
        return ir.nodes.count - 1
    }

    /// The node's text, in parentheses when its precedence is below `minimum`.
    func operand(_ node: Int, above minimum: Int) -> String {
        let n = ir.nodes[node]
        return n.precedence < minimum ? "(\(n.text))" : n.text
    }

    /// Throws unless `node` has type `type`.
    func expect(_ node: Int, _ type: ValueType, _ at: SourcePosition, _ context: String) throws(RulesError) {
        let found = ir.nodes[node]
        guard found.type != type else { return }
        throw RulesError(.typeMismatch, at: at, "expected \(type.name) \(context), found \(found.type.name) (\(found.text))")
    }

    /// Analyses an expression; returns its node.
    mutating func expression(_ e: S.Expression) throws(RulesError) -> Int {
        let post = S.postfixPrecedence
        switch e.kind {
        case .number(let v):
            return add(.number(v), .number, constant: true, text: RulesFormat.number(v), precedence: post)
        case .bool(let b):
            return add(.flag(b), .bool, constant: true, text: b ? "true" : "false", precedence: post)
        case .name(let name):
            return try reference(name, e.position)
        case .call(let name, let arguments):
            return try call(name, arguments, e.position)
        case .field(let base, let name):
            return try field(base, name, e.position)
        case .history(let base, let offset):
            return try history(base, offset, e.position)
        case .negate(let x):
            let a = try expression(x)
            try expect(a, .number, x.position, "after '-'")
            let text = "-" + operand(a, above: S.negatePrecedence)
            return add(.negate(a), .number, constant: ir.nodes[a].isConstant, text: text, precedence: S.negatePrecedence)
        case .not(let x):
            let a = try expression(x)
            try expect(a, .bool, x.position, "after 'not'")
            let text = "not " + operand(a, above: S.notPrecedence)
            return add(.not(a), .bool, constant: ir.nodes[a].isConstant, text: text, precedence: S.notPrecedence)
        case .binary(let op, let x, let y):
            return try binary(op, x, y)
        }
    }

    private mutating func binary(_ op: S.BinaryOperator, _ x: S.Expression, _ y: S.Expression) throws(RulesError) -> Int {
        let a = try expression(x)
        let b = try expression(y)
        let operandType: ValueType = op.isLogical ? .bool : .number
        try expect(a, operandType, x.position, "on the left of '\(op.rawValue)'")
        try expect(b, operandType, y.position, "on the right of '\(op.rawValue)'")
        let p = op.precedence
        let text = "\(operand(a, above: op.isComparison ? p + 1 : p)) \(op.rawValue) \(operand(b, above: p + 1))"
        let constant = ir.nodes[a].isConstant && ir.nodes[b].isConstant
        if op.isLogical { return add(.logic(op, a, b), .bool, constant: constant, text: text, precedence: p) }
        if op.isComparison { return add(.compare(op, a, b), .bool, constant: constant, text: text, precedence: p) }
        return add(.arithmetic(op, a, b), .number, constant: constant, text: text, precedence: p)
    }

    // MARK: Names

    private mutating func reference(_ name: String, _ at: SourcePosition) throws(RulesError) -> Int {
        switch bindings[name] {
        case .parameter(let p)?:
            used.insert(name)
            let type: ValueType = ir.parameters[p].kind == .bool ? .bool : .number
            return add(.parameter(p), type, constant: true, text: name, precedence: S.postfixPrecedence)
        case .value(let node)?:
            used.insert(name)
            return node
        case nil:
            break
        }
        if let field = BarField(rawValue: name) {
            return add(.series(field), .number, constant: false, text: name, precedence: S.postfixPrecedence)
        }
        if let f = RulesFunction(rawValue: name) {
            throw RulesError(.typeMismatch, at: at, "expected a value, found the function '\(name)' (call it: \(f.signature))")
        }
        if name == "crossover" || name == "crossunder" {
            throw RulesError(.typeMismatch, at: at, "expected a value, found the function '\(name)' (call it: \(name)(a, b))")
        }
        let candidates = BarField.allCases.map(\.rawValue) + Array(bindings.keys)
        throw RulesError(
            .unknownName,
            at: at,
            "unknown name '\(name)'\(Self.suggestion(name, candidates)); expected a series (open, high, low, close, volume), "
                + "a parameter or a name from a 'let' above"
        )
    }

    /// `; did you mean 'x'?` for the closest candidate within two edits, else empty.
    static func suggestion(_ name: String, _ candidates: [String]) -> String {
        var best: (String, Int)?
        for c in candidates.sorted() {
            let d = editDistance(Array(name.utf8), Array(c.utf8))
            if d <= 2 && d < (best?.1 ?? .max) { best = (c, d) }
        }
        return best.map { " (did you mean '\($0.0)'?)" } ?? ""
    }

    static func editDistance(_ a: [UInt8], _ b: [UInt8]) -> Int {
        if a.isEmpty || b.isEmpty { return max(a.count, b.count) }
        var previous = Array(0...b.count)
        for i in 1...a.count {
            var row = [i] + [Int](repeating: 0, count: b.count)
            for j in 1...b.count {
                row[j] = min(previous[j] + 1, row[j - 1] + 1, previous[j - 1] + (a[i - 1] == b[j - 1] ? 0 : 1))
            }
            previous = row
        }
        return previous[b.count]
    }

    // MARK: Fields and history

    private mutating func field(_ base: S.Expression, _ name: String, _ at: SourcePosition) throws(RulesError) -> Int {
        let b = try expression(base)
        guard case .record(let f) = ir.nodes[b].type else {
            throw RulesError(
                .typeMismatch,
                at: at,
                "expected a macd, bbands or donchian result before '.\(name)', found \(ir.nodes[b].type.name) (\(ir.nodes[b].text))"
            )
        }
        guard f.fields.contains(name) else {
            throw RulesError(
                .unknownName,
                at: at,
                "\(f.rawValue) has no field '\(name)'\(Self.suggestion(name, f.fields)); expected \(f.fields.joined(separator: ", "))"
            )
        }
        let text = "\(operand(b, above: S.postfixPrecedence)).\(name)"
        return add(.field(b, name), .number, constant: false, text: text, precedence: S.postfixPrecedence)
    }

    private mutating func history(_ base: S.Expression, _ offset: S.Expression, _ at: SourcePosition) throws(RulesError) -> Int {
        let b = try expression(base)
        let type = ir.nodes[b].type
        guard type == .number || type == .bool else {
            throw RulesError(.typeMismatch, at: base.position, "expected a number or a condition before '[', found \(type.name)")
        }
        let n = try expression(offset)
        try checkWindow(n, offset.position, minimum: 0, "the history offset")
        let text = "\(operand(b, above: S.postfixPrecedence))[\(ir.nodes[n].text)]"
        return add(.history(b, offset: n), type, constant: ir.nodes[b].isConstant, text: text, precedence: S.postfixPrecedence)
    }

    /// Checks that `node` is a constant whole number in `minimum...maxLookback` with the
    /// parameters' defaults (other values are checked when they are given).
    func checkWindow(_ node: Int, _ at: SourcePosition, minimum: Int, _ what: String) throws(RulesError) {
        let n = ir.nodes[node]
        guard n.type == .number, n.isConstant else {
            let found = n.type == .number ? "an expression on the bars" : n.type.name
            throw RulesError(.invalidArgument, at: at, "expected a constant (a number or a parameter) as \(what), found \(found) (\(n.text))")
        }
        let parameters = ir.parametersUsed(by: node)
        let v = ir.constants(defaults)[node]
        let shown = parameters.isEmpty ? RulesFormat.number(v) : "\(RulesFormat.number(v)) with the defaults"
        let name = parameters.first.map { ir.parameters[$0].name }
        guard v.rounded() == v, v >= Double(minimum) else {
            throw RulesError(
                parameters.isEmpty ? .invalidArgument : .parameterOutOfRange,
                at: at,
                "expected a whole number >= \(minimum) as \(what) (\(n.text)), found \(shown)",
                parameter: name
            )
        }
        guard v <= Double(limits.maxLookback) else {
            throw RulesError(
                .limitExceeded,
                at: at,
                "\(what) (\(n.text)) is \(shown); maxLookback is \(limits.maxLookback)",
                parameter: name,
                limit: "maxLookback"
            )
        }
    }
}
