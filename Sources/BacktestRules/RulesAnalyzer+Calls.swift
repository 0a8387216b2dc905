extension RulesAnalyzer {
    /// Analyses a call: `crossover`/`crossunder` or an indicator.
    mutating func call(_ name: String, _ arguments: [S.Expression], _ at: SourcePosition) throws(RulesError) -> Int {
        if name == "crossover" || name == "crossunder" {
            return try cross(name, arguments, at)
        }
        guard let f = RulesFunction(rawValue: name) else {
            let known = RulesFunction.allCases.map(\.rawValue) + ["crossover", "crossunder"]
            throw RulesError(
                .unknownName,
                at: at,
                "unknown function '\(name)'\(Self.suggestion(name, known)); expected one of \(known.joined(separator: ", "))"
            )
        }
        let kinds = f.arguments
        let optional = f.optionalTail?.count ?? 0
        guard arguments.count <= kinds.count, arguments.count >= kinds.count - optional else {
            let counts = optional > 0 ? "\(kinds.count - optional) or \(kinds.count)" : "\(kinds.count)"
            throw RulesError(
                .invalidArgument,
                at: at,
                "expected \(counts) argument\(kinds.count == 1 ? "" : "s") for \(f.signature), found \(arguments.count)"
            )
        }
        var nodes: [Int] = []
        for (k, argument) in arguments.enumerated() {
            nodes.append(try self.argument(argument, kinds[k], f, position: k))
        }
        if nodes.count < kinds.count, let tail = f.optionalTail {
            nodes.append(add(.number(tail.value), .number, constant: true, text: RulesFormat.number(tail.value), precedence: S.postfixPrecedence))
        }
        let op = RulesIR.Op.call(f, nodes)
        if nodeIndex[op] == nil {
            indicatorCount += 1
            guard indicatorCount <= limits.maxIndicators else {
                throw RulesError(
                    .limitExceeded,
                    at: at,
                    "more than \(limits.maxIndicators) distinct indicators; maxIndicators is \(limits.maxIndicators)",
                    limit: "maxIndicators"
                )
            }
        }
        let text = "\(name)(\(nodes.map { ir.nodes[$0].text }.joined(separator: ", ")))"
        let type: ValueType = f.isRecord ? .record(f) : .number
        return add(op, type, constant: false, text: text, precedence: S.postfixPrecedence)
    }

    private mutating func argument(_ e: S.Expression, _ kind: RulesFunction.Argument, _ f: RulesFunction, position k: Int) throws(RulesError) -> Int {
        let node = try expression(e)
        let ordinal = ["first", "second", "third", "fourth"][min(k, 3)]
        switch kind {
        case .source:
            try expect(node, .number, e.position, "as the source of \(f.signature)")
            guard !ir.nodes[node].isConstant else {
                throw RulesError(
                    .invalidArgument,
                    at: e.position,
                    "expected a series (e.g. close) as the source of \(f.signature), found the constant \(ir.nodes[node].text)"
                )
            }
        case .period:
            try checkWindow(node, e.position, minimum: 1, "the \(ordinal) argument of \(f.signature) (a period)")
        case .real:
            let n = ir.nodes[node]
            guard n.type == .number, n.isConstant else {
                throw RulesError(
                    .invalidArgument,
                    at: e.position,
                    "expected a constant number as the \(ordinal) argument of \(f.signature), found \(n.type == .number ? "a series" : n.type.name)"
                )
            }
        }
        return node
    }

    private mutating func cross(_ name: String, _ arguments: [S.Expression], _ at: SourcePosition) throws(RulesError) -> Int {
        guard arguments.count == 2 else {
            throw RulesError(.invalidArgument, at: at, "expected 2 arguments for \(name)(a, b), found \(arguments.count)")
        }
        let a = try expression(arguments[0])
        let b = try expression(arguments[1])
        try expect(a, .number, arguments[0].position, "as the first argument of \(name)")
        try expect(b, .number, arguments[1].position, "as the second argument of \(name)")
        let text = "\(name)(\(ir.nodes[a].text), \(ir.nodes[b].text))"
        let constant = ir.nodes[a].isConstant && ir.nodes[b].isConstant
        let op: RulesIR.Op = name == "crossover" ? .cross(a, b) : .cross(b, a)
        return add(op, .bool, constant: constant, text: text, precedence: S.postfixPrecedence)
    }
}
