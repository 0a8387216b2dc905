import BacktestEngine

extension RulesProgram {
    /// Checks parameter values against the program, as the built-in strategies' are
    /// checked (``StrategyCatalog/resolve(spec:params:)``): unknown names, kinds (a bool
    /// also takes 0 or 1; an int needs a whole number), bounds; then the `require`
    /// statements and every period and history offset the values produce.
    ///
    /// - Returns: every parameter with its value (defaults filled in).
    /// - Throws: ``RulesError`` naming the parameter (``RulesError/parameter``) and pointing
    ///   at the statement that declares or uses it.
    public func resolve(params: [String: ParameterValue]) throws(RulesError) -> [String: ParameterValue] {
        try instantiate(params).values
    }

    /// A strategy running the program with `params` (defaults for the rest).
    ///
    /// `brackets` are the engine's `sl_pct`/`tp_pct`: each one given replaces the program's
    /// `stop_loss`/`take_profit` (as a fraction of the signal bar's close, like them); one
    /// not given leaves the program's in force.
    ///
    /// - Throws: ``RulesError`` as ``resolve(params:)``, or for brackets out of range
    ///   (`sl_pct` in (0, 1), `tp_pct` > 0; ``RulesError/parameter`` is `sl_pct`/`tp_pct`).
    public func strategy(params: [String: ParameterValue] = [:], brackets: Brackets = Brackets()) throws(RulesError) -> RulesStrategy {
        let (values, plan) = try instantiate(params)
        var effective = plan.brackets
        if let sl = brackets.slPct {
            guard sl.isFinite, sl > 0, sl < 1 else {
                throw RulesError(.parameterOutOfRange, at: position(of: 0), "expected sl_pct in (0, 1), found \(sl)", parameter: "sl_pct")
            }
            effective.slPct = sl
        }
        if let tp = brackets.tpPct {
            guard tp.isFinite, tp > 0 else {
                throw RulesError(.parameterOutOfRange, at: position(of: 0), "expected tp_pct > 0, found \(tp)", parameter: "tp_pct")
            }
            effective.tpPct = tp
        }
        return RulesStrategy(program: self, parameters: values, plan: plan, brackets: effective)
    }

    /// Resolves `params` and instantiates the plan.
    func instantiate(_ params: [String: ParameterValue]) throws(RulesError) -> (values: [String: ParameterValue], plan: RulesPlan) {
        let declared = ir.parameters
        for key in params.keys.sorted() where !declared.contains(where: { $0.name == key }) {
            let known = declared.map(\.name)
            throw RulesError(
                .unknownParameter,
                at: position(of: 0),
                "unknown parameter '\(key)'\(RulesAnalyzer.suggestion(key, known)); "
                    + (known.isEmpty ? "the program takes none" : "expected one of: \(known.joined(separator: ", "))"),
                parameter: key
            )
        }
        var resolved: [String: ParameterValue] = [:]
        var numbers: [Double] = []
        for p in declared {
            let value = try check(p, params[p.name] ?? p.defaultValue)
            resolved[p.name] = value
            switch value {
            case .number(let v): numbers.append(v)
            case .bool(let b): numbers.append(b ? 1 : 0)
            }
        }
        try checkRequirements(numbers)
        let plan = try RulesPlan.make(RulesPlan.Context(ir: ir, values: numbers, limits: limits, positions: positions))
        return (resolved, plan)
    }

    private func check(_ p: RulesIR.Parameter, _ value: ParameterValue) throws(RulesError) -> ParameterValue {
        let at = position(of: p.statement)
        func fail(_ code: RulesError.Code, _ message: String) -> RulesError {
            RulesError(code, at: at, message, parameter: p.name)
        }
        switch (p.kind, value) {
        case (.bool, .bool):
            return value
        case (.bool, .number(let v)) where v == 0 || v == 1:
            return .bool(v == 1)
        case (.bool, _):
            throw fail(.typeMismatch, "expected true or false for \(p.name), found \(value)")
        case (_, .bool):
            throw fail(.typeMismatch, "expected a number for \(p.name), found \(value)")
        case (_, .number(let v)):
            guard v.isFinite else { throw fail(.parameterOutOfRange, "expected a finite number for \(p.name), found \(v)") }
            if p.kind == .int && v.rounded() != v {
                throw fail(.parameterOutOfRange, "expected a whole number for \(p.name) (an int parameter), found \(v)")
            }
            if let lo = p.minimum, v < lo {
                throw fail(.parameterOutOfRange, "expected \(p.name) >= \(ParameterValue.number(lo)), found \(value)")
            }
            if let hi = p.maximum, v > hi {
                throw fail(.parameterOutOfRange, "expected \(p.name) <= \(ParameterValue.number(hi)), found \(value)")
            }
            return value
        }
    }

    private func checkRequirements(_ values: [Double]) throws(RulesError) {
        guard !ir.requirements.isEmpty else { return }
        let constants = ir.constants(values)
        for r in ir.requirements where constants[r.condition] == 0 {
            let used = ir.parametersUsed(by: r.condition)
            let shown = used.map { "\(ir.parameters[$0].name) = \(RulesFormat.number(values[$0]))" }.joined(separator: ", ")
            throw RulesError(
                .requirementFailed,
                at: position(of: r.statement),
                "expected '\(ir.nodes[r.condition].text)' to hold (require), but it does not with \(shown.isEmpty ? "these values" : shown)",
                parameter: used.first.map { ir.parameters[$0].name }
            )
        }
    }
}
