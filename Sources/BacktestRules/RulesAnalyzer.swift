import BacktestEngine

/// Checks a parsed program (names, types, arguments, limits, parameter declarations) and
/// builds its ``RulesIR``: every expression becomes a node of one shared graph, `let`
/// names are replaced by their expressions, and parameters stay symbolic.
struct RulesAnalyzer {
    typealias S = RulesSyntax

    /// What a name stands for.
    enum Binding {
        case parameter(Int)
        case value(Int)
    }

    let limits: RulesLimits
    let program: S.Program
    var ir = RulesIR()
    /// Hash-consing: each distinct operation is one node.
    var nodeIndex: [RulesIR.Op: Int] = [:]
    var bindings: [String: Binding] = [:]
    /// The statement declaring each name.
    var declarations: [String: Int] = [:]
    var lets: [String] = []
    var used: Set<String> = []
    /// The statement being analysed.
    var statement = 0
    var indicatorCount = 0

    /// Checks `program` and returns its graph.
    static func analyze(_ program: S.Program, limits: RulesLimits) throws(RulesError) -> RulesIR {
        var analyzer = RulesAnalyzer(limits: limits, program: program)
        for (k, statement) in program.statements.enumerated() {
            analyzer.statement = k
            try analyzer.analyze(statement)
        }
        analyzer.finish()
        return analyzer.ir
    }

    private mutating func analyze(_ st: S.Statement) throws(RulesError) {
        switch st.kind {
        case .param(let p):
            try declare(p)
        case .binding(let name, let value):
            try checkNewName(name)
            let node = try expression(value)
            bindings[name.text] = .value(node)
            declarations[name.text] = statement
            lets.append(name.text)
        case .require(let e):
            let node = try expression(e)
            guard ir.nodes[node].type == .bool, ir.nodes[node].isConstant else {
                let found = ir.nodes[node].isConstant ? ir.nodes[node].type.name : "an expression on the bars"
                throw RulesError(.typeMismatch, at: e.position, "expected a condition on the parameters only after 'require', found \(found)")
            }
            ir.requirements.append(RulesIR.Requirement(condition: node, statement: statement))
        case .action(let action, let e):
            let node = try expression(e)
            try expect(node, .bool, e.position, "after '\(action.text) when'")
            guard ir.actions.count < min(limits.maxActions, 64) else {
                throw RulesError(
                    .limitExceeded,
                    at: st.position,
                    "more than \(min(limits.maxActions, 64)) action statements; maxActions is \(limits.maxActions)",
                    limit: "maxActions"
                )
            }
            ir.actions.append(RulesIR.Action(action: action, condition: node, statement: statement))
        case .size(let a):
            try once(ir.size, "size", st.position)
            ir.size = try amount(a, "size", lowest: 0, highest: 1, includesHighest: true)
        case .stopLoss(let a):
            try once(ir.stopLoss, "stop_loss", st.position)
            ir.stopLoss = try amount(a, "stop_loss", lowest: 0, highest: 1, includesHighest: false)
        case .takeProfit(let a):
            try once(ir.takeProfit, "take_profit", st.position)
            ir.takeProfit = try amount(a, "take_profit", lowest: 0, highest: .infinity, includesHighest: false)
        }
    }

    private func once(_ existing: RulesIR.Amount?, _ word: String, _ at: SourcePosition) throws(RulesError) {
        if let existing {
            let first = program.statements[existing.statement].position
            throw RulesError(.duplicateName, at: at, "expected one '\(word)' statement; it is already set on line \(first.line)")
        }
    }

    // MARK: Names

    static let reserved: [String: String] = {
        var out: [String: String] = [:]
        for f in BarField.allCases { out[f.rawValue] = "a series" }
        for f in RulesFunction.allCases { out[f.rawValue] = "a function" }
        out["crossover"] = "a function"
        out["crossunder"] = "a function"
        return out
    }()

    private func checkNewName(_ name: S.Name) throws(RulesError) {
        if let what = Self.reserved[name.text] {
            throw RulesError(.duplicateName, at: name.position, "expected a new name, found '\(name.text)', which is \(what)")
        }
        if let k = declarations[name.text] {
            let line = program.statements[k].position.line
            throw RulesError(.duplicateName, at: name.position, "expected a new name, found '\(name.text)', already declared on line \(line)")
        }
    }

    // MARK: Parameters

    private mutating func declare(_ p: S.Parameter) throws(RulesError) {
        try checkNewName(p.name)
        let name = p.name.text
        guard ir.parameters.count < limits.maxParameters else {
            throw RulesError(
                .limitExceeded,
                at: p.name.position,
                "more than \(limits.maxParameters) parameters; maxParameters is \(limits.maxParameters)",
                limit: "maxParameters"
            )
        }
        let kind: ParameterKind = p.kind == "bool" ? .bool : p.kind == "float" ? .float : .int
        var parameter = RulesIR.Parameter(name: name, kind: kind, defaultValue: .bool(false), statement: statement)
        switch (kind, p.value.value) {
        case (.bool, .bool(let b)):
            guard !p.hasBounds else {
                throw RulesError(.invalidArgument, at: p.name.position, "expected no bounds for the true/false parameter \(name)")
            }
            parameter.defaultValue = .bool(b)
        case (.bool, .number):
            throw RulesError(.typeMismatch, at: p.value.position, "expected true or false as the default of the bool parameter \(name)")
        case (_, .bool):
            throw RulesError(.typeMismatch, at: p.value.position, "expected a number as the default of the \(kind) parameter \(name)")
        case (_, .number(let v, _)):
            try checkNumber(v, kind, p.value.position, "the default of \(name)", name)
            parameter.defaultValue = .number(v)
            parameter.minimum = try bound(p.lower, kind, "lower bound of \(name)", name)
            parameter.maximum = try bound(p.upper, kind, "upper bound of \(name)", name)
            try checkRange(parameter, p)
        }
        bindings[name] = .parameter(ir.parameters.count)
        declarations[name] = statement
        ir.parameters.append(parameter)
    }

    private func checkNumber(_ v: Double, _ kind: ParameterKind, _ at: SourcePosition, _ what: String, _ name: String) throws(RulesError) {
        if kind == .int && (v.rounded() != v || abs(v) > 0x1p53) {
            throw RulesError(
                .parameterOutOfRange,
                at: at,
                "expected a whole number as \(what) (an int parameter), found \(RulesFormat.float(v))",
                parameter: name
            )
        }
    }

    private func bound(_ literal: S.Literal?, _ kind: ParameterKind, _ what: String, _ name: String) throws(RulesError) -> Double? {
        guard let literal else { return nil }
        guard case .number(let v, _) = literal.value else {
            throw RulesError(.typeMismatch, at: literal.position, "expected a number as the \(what), found a true/false value")
        }
        try checkNumber(v, kind, literal.position, "the \(what)", name)
        return v
    }

    private func checkRange(_ p: RulesIR.Parameter, _ syntax: S.Parameter) throws(RulesError) {
        guard case .number(let v) = p.defaultValue else { return }
        let at = syntax.value.position
        if let lo = p.minimum, let hi = p.maximum, lo > hi {
            throw RulesError(
                .parameterOutOfRange,
                at: syntax.lower?.position ?? at,
                "expected the lower bound of \(p.name) (\(RulesFormat.number(lo))) not above its upper bound (\(RulesFormat.number(hi)))",
                parameter: p.name
            )
        }
        if let lo = p.minimum, v < lo {
            throw RulesError(
                .parameterOutOfRange,
                at: at,
                "expected the default of \(p.name) >= \(RulesFormat.number(lo)), found \(RulesFormat.number(v))",
                parameter: p.name
            )
        }
        if let hi = p.maximum, v > hi {
            throw RulesError(
                .parameterOutOfRange,
                at: at,
                "expected the default of \(p.name) <= \(RulesFormat.number(hi)), found \(RulesFormat.number(v))",
                parameter: p.name
            )
        }
    }

    /// The parameters' defaults as numbers (booleans as 0 and 1).
    var defaults: [Double] {
        ir.parameters.map { p in
            switch p.defaultValue {
            case .number(let v): return v
            case .bool(let b): return b ? 1 : 0
            }
        }
    }

    // MARK: Amounts

    private mutating func amount(
        _ a: S.Amount,
        _ word: String,
        lowest: Double,
        highest: Double,
        includesHighest: Bool
    ) throws(RulesError) -> RulesIR.Amount {
        let source: RulesIR.Amount.Source
        let value: Double
        var parameterName: String?
        switch a.value {
        case .number(let v, let written):
            let fraction = a.percent ? RulesFormat.percent(written) ?? v / 100 : v
            source = .fraction(fraction)
            value = fraction
        case .parameter(let name):
            guard case .parameter(let p)? = bindings[name] else {
                let found = bindings[name] == nil ? "unknown name '\(name)'" : "the let name '\(name)'"
                throw RulesError(.unknownName, at: a.position, "expected a number or a declared parameter after '\(word)', found \(found)")
            }
            guard case .number(let v) = ir.parameters[p].defaultValue else {
                throw RulesError(.typeMismatch, at: a.position, "expected a number parameter after '\(word)', found the bool parameter \(name)")
            }
            used.insert(name)
            source = .parameter(p, percent: a.percent)
            value = a.percent ? v / 100 : v
            parameterName = name
        }
        guard value > lowest, includesHighest ? value <= highest : value < highest else {
            let range = highest.isInfinite ? "> 0" : includesHighest ? "in (0, 1]" : "in (0, 1)"
            let unit = a.percent ? " (\(RulesFormat.number(value * 100))%)" : ""
            throw RulesError(
                .parameterOutOfRange,
                at: a.position,
                "expected \(word) as a fraction \(range), found \(RulesFormat.number(value))\(unit)",
                parameter: parameterName
            )
        }
        return RulesIR.Amount(source: source, statement: statement)
    }

    // MARK: Finishing

    private mutating func finish() {
        var reachable = Set<Int>()
        var stack = ir.actions.map(\.condition)
        while let i = stack.popLast() {
            guard reachable.insert(i).inserted else { continue }
            stack += ir.nodes[i].op.children
        }
        for i in reachable.sorted() {
            switch ir.nodes[i].op {
            case .call(let f, _):
                ir.indicatorSummaries.append(ir.nodes[i].text)
                if !f.isRecord { ir.registered.append(i) }
            case .field:
                ir.registered.append(i)
            default:
                break
            }
        }
        warn()
    }

    private mutating func warn() {
        for p in ir.parameters where !used.contains(p.name) {
            ir.warnings.append((p.statement, "parameter '\(p.name)' is never used"))
        }
        for name in lets where !used.contains(name) {
            ir.warnings.append((declarations[name] ?? 0, "'\(name)' is never used"))
        }
        let kinds = Set(ir.actions.map(\.action))
        let entersLong = kinds.contains(.enterLong)
        let entersShort = kinds.contains(.enterShort)
        for a in ir.actions {
            switch a.action {
            case .exitLong where !entersLong && !(entersShort && kinds.contains(.reverse)):
                ir.warnings.append((a.statement, "'exit long' never fires: nothing enters a long position"))
            case .exitShort where !entersShort && !(entersLong && kinds.contains(.reverse)):
                ir.warnings.append((a.statement, "'exit short' never fires: nothing enters a short position"))
            case .reverse where !entersLong && !entersShort:
                ir.warnings.append((a.statement, "'reverse' never fires: nothing enters a position"))
            default:
                break
            }
        }
        if !entersLong && !entersShort {
            ir.warnings.append((max(0, program.statements.count - 1), "no 'enter' statement: the program never opens a position"))
        }
        ir.warnings.sort { $0.statement < $1.statement }
    }
}
