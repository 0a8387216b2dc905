extension RulesSyntax.Program {
    /// The canonical text: one statement per line, single spaces around operators, no
    /// comments or blank lines, numbers in their shortest form and only the parentheses
    /// the precedence needs. Sources that differ only in layout, comments or redundant
    /// parentheses have the same canonical text; it parses back to the same program.
    var canonicalText: String {
        var out = ""
        for statement in statements {
            out += statement.kind.canonicalText
            out += "\n"
        }
        return out
    }
}

extension RulesSyntax.StatementKind {
    /// The statement's canonical text (without the line end).
    var canonicalText: String {
        switch self {
        case .param(let p):
            return p.canonicalText
        case .binding(let name, let value):
            return "let \(name.text) = \(value.canonicalText)"
        case .require(let e):
            return "require \(e.canonicalText)"
        case .action(let action, let e):
            return "\(action.text) when \(e.canonicalText)"
        case .size(let a):
            return "size \(a.canonicalText)"
        case .stopLoss(let a):
            return "stop_loss \(a.canonicalText)"
        case .takeProfit(let a):
            return "take_profit \(a.canonicalText)"
        }
    }
}

extension RulesSyntax.Parameter {
    /// The kind the declaration gives: the annotation, else `bool` for `true`/`false`,
    /// `float` for a default written with a '.' or an exponent, `int` otherwise.
    var kind: String {
        if let annotation { return annotation }
        switch value.value {
        case .bool: return "bool"
        case .number(_, let written): return written.contains(where: { $0 == "." || $0 == "e" || $0 == "E" }) ? "float" : "int"
        }
    }

    var canonicalText: String {
        let kind = self.kind
        func text(_ literal: RulesSyntax.Literal) -> String {
            switch literal.value {
            case .bool(let b): return b ? "true" : "false"
            case .number(let v, _): return kind == "float" ? RulesFormat.float(v) : RulesFormat.number(v)
            }
        }
        var out = "param \(name.text) = \(text(value))"
        if hasBounds { out += " (\(lower.map(text) ?? "")..\(upper.map(text) ?? ""))" }
        return out
    }
}

extension RulesSyntax.Amount {
    var canonicalText: String {
        let base: String
        switch value {
        case .number(let v, _): base = RulesFormat.number(v)
        case .parameter(let name): base = name
        }
        return percent ? base + "%" : base
    }
}

extension RulesSyntax.Expression {
    /// The canonical text of the expression.
    var canonicalText: String { rendered.text }

    /// The text and the precedence of its outermost operator.
    private var rendered: (text: String, precedence: Int) {
        typealias S = RulesSyntax
        switch kind {
        case .number(let v):
            return (RulesFormat.number(v), S.postfixPrecedence)
        case .bool(let b):
            return (b ? "true" : "false", S.postfixPrecedence)
        case .name(let name):
            return (name, S.postfixPrecedence)
        case .call(let name, let arguments):
            return ("\(name)(\(arguments.map(\.canonicalText).joined(separator: ", ")))", S.postfixPrecedence)
        case .field(let base, let name):
            return ("\(base.operand(above: S.postfixPrecedence)).\(name)", S.postfixPrecedence)
        case .history(let base, let offset):
            return ("\(base.operand(above: S.postfixPrecedence))[\(offset.canonicalText)]", S.postfixPrecedence)
        case .negate(let e):
            return ("-" + e.operand(above: S.negatePrecedence), S.negatePrecedence)
        case .not(let e):
            return ("not " + e.operand(above: S.notPrecedence), S.notPrecedence)
        case .binary(let op, let a, let b):
            let p = op.precedence
            // Left-associative: a right operand of the same precedence keeps its parentheses
            // (floating-point sums are not associative); comparisons do not chain.
            let left = a.operand(above: op.isComparison ? p + 1 : p)
            let right = b.operand(above: p + 1)
            return ("\(left) \(op.rawValue) \(right)", p)
        }
    }

    /// The text, in parentheses when its precedence is below `minimum`.
    private func operand(above minimum: Int) -> String {
        let (text, precedence) = rendered
        return precedence < minimum ? "(\(text))" : text
    }
}

/// Number formatting shared by the canonical text and indicator names.
enum RulesFormat {
    /// Whole numbers without a fraction (`10`), others in Swift's shortest round-trip form
    /// (`0.004`, `1e-05`).
    static func number(_ v: Double) -> String {
        if v.rounded() == v && abs(v) < 1e15 { return String(Int64(v)) }
        return "\(v)"
    }

    /// Always with a fraction or an exponent (`2.0`), so it reads back as a float.
    static func float(_ v: Double) -> String {
        "\(v)"
    }

    /// `written` percent as a fraction, rounded once from the decimal text: `0.4` gives
    /// exactly the number the literal `0.004` gives (dividing by 100 could be an ulp off).
    static func percent(_ written: String) -> Double? {
        var mantissa = Substring(written)
        var exponent = 0
        if let e = written.firstIndex(where: { $0 == "e" || $0 == "E" }) {
            mantissa = written[..<e]
            guard let x = Int(written[written.index(after: e)...].drop(while: { $0 == "+" })) else { return nil }
            exponent = x
        }
        guard let v = Double("\(mantissa)e\(exponent - 2)"), v.isFinite else { return nil }
        return v
    }
}
