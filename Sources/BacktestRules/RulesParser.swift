/// A recursive-descent parser for the rules language (grammar in docs/rules.md): tokens in,
/// ``RulesSyntax/Program`` out, or the first error with its position and what was expected.
///
/// Recursion is bounded by ``RulesLimits/maxNestingDepth`` and the tree by
/// ``RulesLimits/maxExpressionNodes``, so no input can exhaust the stack.
struct RulesParser {
    typealias S = RulesSyntax

    private let tokens: [Token]
    private let comments: [Int: String]
    private let limits: RulesLimits
    private var index = 0
    private var depth = 0
    private var nodes = 0

    /// Parses `source` under `limits`.
    static func parse(_ source: String, limits: RulesLimits = RulesLimits()) throws(RulesError) -> S.Program {
        let (tokens, comments) = try RulesLexer.tokenize(source, limits: limits)
        var parser = RulesParser(tokens: tokens, comments: comments, limits: limits)
        return try parser.program()
    }

    private init(tokens: [Token], comments: [Int: String], limits: RulesLimits) {
        self.tokens = tokens
        self.comments = comments
        self.limits = limits
    }

    // MARK: Tokens

    private var current: Token { tokens[min(index, tokens.count - 1)] }

    private mutating func advance() -> Token {
        let token = current
        if index < tokens.count - 1 { index += 1 }
        return token
    }

    private mutating func accept(_ kind: Token.Kind) -> Bool {
        guard current.kind == kind else { return false }
        index += 1
        return true
    }

    private mutating func acceptWord(_ word: String) -> Bool {
        guard current.isWord(word) else { return false }
        index += 1
        return true
    }

    /// How an error quotes the current token: as ``Token/quoted``, except that the line end
    /// the lexer closes the input with is `end of input`.
    private var found: String {
        let isLast = current.kind == .newline && tokens.indices.contains(index + 1) && tokens[index + 1].kind == .end
        return isLast ? "end of input" : current.quoted
    }

    private func expected(_ what: String) -> RulesError {
        RulesError(.syntax, at: current.position, "expected \(what), found \(found)")
    }

    private mutating func expect(_ kind: Token.Kind, _ what: String) throws(RulesError) {
        guard accept(kind) else { throw expected(what) }
    }

    private mutating func expectWord(_ word: String, _ what: String) throws(RulesError) {
        guard acceptWord(word) else { throw expected(what) }
    }

    // MARK: Statements

    private mutating func program() throws(RulesError) -> S.Program {
        var statements: [S.Statement] = []
        while current.kind != .end {
            if accept(.newline) { continue }
            guard statements.count < limits.maxStatements else {
                throw RulesError(
                    .limitExceeded,
                    at: current.position,
                    "more than \(limits.maxStatements) statements; maxStatements is \(limits.maxStatements)",
                    limit: "maxStatements"
                )
            }
            let start = current.position
            let kind = try statement()
            guard current.kind == .newline else {
                throw expected("the end of the line after the statement (one statement per line)")
            }
            let end = current.position.line
            statements.append(S.Statement(kind: kind, position: start, comment: comments[end]))
        }
        return S.Program(statements: statements)
    }

    private static let statementWords = "a statement (param, let, require, enter, exit, reverse, size, stop_loss or take_profit)"

    private mutating func statement() throws(RulesError) -> S.StatementKind {
        let word = current
        guard word.kind == .identifier else { throw expected(Self.statementWords) }
        switch word.text {
        case "param":
            index += 1
            return .param(try parameter())
        case "let":
            index += 1
            let name = try name(after: "'let'")
            try expect(.assign, "'=' after the name in 'let \(name.text)'")
            return .binding(name: name, value: try expression())
        case "require":
            index += 1
            return .require(try expression())
        case "enter", "exit", "reverse":
            index += 1
            let action = try action(word.text)
            try expectWord("when", "'when' after '\(action.text)'")
            return .action(action, try expression())
        case "size":
            index += 1
            return .size(try amount(after: "size"))
        case "stop_loss", "take_profit":
            index += 1
            let value = try amount(after: word.text)
            guard value.percent else { throw expected("'%' after the \(word.text) amount (a percentage of the signal bar's close)") }
            return word.text == "stop_loss" ? .stopLoss(value) : .takeProfit(value)
        default:
            throw RulesError(.syntax, at: word.position, "expected \(Self.statementWords), found \(word.quoted)")
        }
    }

    private mutating func action(_ word: String) throws(RulesError) -> S.Action {
        switch word {
        case "enter":
            if acceptWord("long") { return .enterLong }
            if acceptWord("short") { return .enterShort }
            throw expected("'long' or 'short' after 'enter'")
        case "exit":
            if acceptWord("long") { return .exitLong }
            if acceptWord("short") { return .exitShort }
            return .exitAny
        default:
            return .reverse
        }
    }

    private mutating func name(after what: String) throws(RulesError) -> S.Name {
        let token = current
        guard token.kind == .identifier else { throw expected("a name after \(what)") }
        guard !Keyword.all.contains(token.text) else {
            throw RulesError(.duplicateName, at: token.position, "expected a name after \(what), found the keyword '\(token.text)'")
        }
        index += 1
        return S.Name(text: token.text, position: token.position)
    }

    private mutating func parameter() throws(RulesError) -> S.Parameter {
        let name = try name(after: "'param'")
        var annotation: String?
        if accept(.colon) {
            let kind = current
            guard kind.isWord("int") || kind.isWord("float") || kind.isWord("bool") else {
                throw expected("a parameter type (int, float or bool) after ':'")
            }
            index += 1
            annotation = kind.text
        }
        try expect(.assign, "'=' and a default value after 'param \(name.text)'")
        let value = try literal("the default value of \(name.text) (a number, true or false)")
        var parameter = S.Parameter(name: name, annotation: annotation, value: value, lower: nil, upper: nil, hasBounds: false)
        if accept(.leftParen) {
            parameter.hasBounds = true
            if current.kind != .dotDot { parameter.lower = try literal("a lower bound or '..' after '('") }
            try expect(.dotDot, "'..' between the bounds, as in (1..100)")
            if current.kind != .rightParen { parameter.upper = try literal("an upper bound or ')' after '..'") }
            try expect(.rightParen, "')' after the bounds")
        }
        return parameter
    }

    private mutating func literal(_ what: String) throws(RulesError) -> S.Literal {
        let at = current.position
        if acceptWord("true") { return S.Literal(value: .bool(true), position: at) }
        if acceptWord("false") { return S.Literal(value: .bool(false), position: at) }
        let negative = accept(.minus)
        guard current.kind == .number else { throw expected(what) }
        let token = advance()
        let v = try Self.number(token)
        return S.Literal(value: .number(negative ? -v : v, written: (negative ? "-" : "") + token.text), position: at)
    }

    private mutating func amount(after word: String) throws(RulesError) -> S.Amount {
        let at = current.position
        let value: S.Amount.Value
        if current.kind == .number {
            let token = advance()
            value = .number(try Self.number(token), written: token.text)
        } else if current.kind == .identifier && !Keyword.all.contains(current.text) {
            value = .parameter(advance().text)
        } else {
            throw expected("a number or a parameter name after '\(word)'")
        }
        return S.Amount(value: value, percent: accept(.percent), position: at)
    }

    static func number(_ token: Token) throws(RulesError) -> Double {
        guard let v = Double(token.text), v.isFinite else {
            throw RulesError(.syntax, at: token.position, "expected a finite number, found '\(token.text)' (too large)")
        }
        return v
    }

    // MARK: Expressions

    private mutating func node(_ kind: S.ExpressionKind, _ at: SourcePosition) throws(RulesError) -> S.Expression {
        nodes += 1
        guard nodes <= limits.maxExpressionNodes else {
            throw RulesError(
                .limitExceeded,
                at: at,
                "more than \(limits.maxExpressionNodes) expression nodes; maxExpressionNodes is \(limits.maxExpressionNodes)",
                limit: "maxExpressionNodes"
            )
        }
        let height = 1 + (kind.children.map(\.height).max() ?? 0)
        guard height <= limits.maxNestingDepth else {
            throw RulesError(
                .limitExceeded,
                at: at,
                "an expression more than \(limits.maxNestingDepth) levels deep; maxNestingDepth is \(limits.maxNestingDepth)",
                limit: "maxNestingDepth"
            )
        }
        return S.Expression(kind: kind, position: at, height: height)
    }

    /// Enters one level of nesting.
    private mutating func nest() throws(RulesError) {
        depth += 1
        guard depth <= limits.maxNestingDepth else {
            throw RulesError(
                .limitExceeded,
                at: current.position,
                "expressions nested more than \(limits.maxNestingDepth) deep; maxNestingDepth is \(limits.maxNestingDepth)",
                limit: "maxNestingDepth"
            )
        }
    }

    /// `expression = or`.
    mutating func expression() throws(RulesError) -> S.Expression {
        try nest()
        defer { depth -= 1 }
        return try logical(.or)
    }

    /// `or = and { "or" and }`, `and = not { "and" not }`.
    private mutating func logical(_ op: S.BinaryOperator) throws(RulesError) -> S.Expression {
        var left = op == .or ? try logical(.and) : try negation()
        while current.isWord(op.rawValue) {
            index += 1
            let right = op == .or ? try logical(.and) : try negation()
            left = try node(.binary(op, left, right), left.position)
        }
        return left
    }

    /// `not = "not" not | comparison`.
    private mutating func negation() throws(RulesError) -> S.Expression {
        let at = current.position
        guard acceptWord("not") else { return try comparison() }
        try nest()
        defer { depth -= 1 }
        return try node(.not(try negation()), at)
    }

    private static let comparisons: [Token.Kind: S.BinaryOperator] = [
        .less: .less, .lessEqual: .lessEqual, .greater: .greater, .greaterEqual: .greaterEqual, .equalEqual: .equal,
        .bangEqual: .notEqual,
    ]

    /// `comparison = sum [ ("<" | "<=" | ">" | ">=" | "==" | "!=") sum ]` (not chained).
    private mutating func comparison() throws(RulesError) -> S.Expression {
        let left = try sum()
        guard let op = Self.comparisons[current.kind] else { return left }
        index += 1
        let right = try sum()
        if Self.comparisons[current.kind] != nil {
            throw RulesError(
                .syntax,
                at: current.position,
                "expected the end of the comparison, found \(found) (comparisons do not chain: write 'a < b and b < c')"
            )
        }
        return try node(.binary(op, left, right), left.position)
    }

    /// `sum = product { ("+" | "-") product }`, `product = unary { ("*" | "/") unary }`.
    private mutating func sum() throws(RulesError) -> S.Expression {
        var left = try product()
        while current.kind == .plus || current.kind == .minus {
            let op: S.BinaryOperator = advance().kind == .plus ? .add : .subtract
            left = try node(.binary(op, left, try product()), left.position)
        }
        return left
    }

    private mutating func product() throws(RulesError) -> S.Expression {
        var left = try unary()
        while current.kind == .star || current.kind == .slash {
            let op: S.BinaryOperator = advance().kind == .star ? .multiply : .divide
            left = try node(.binary(op, left, try unary()), left.position)
        }
        return left
    }

    /// `unary = "-" unary | postfix`.
    private mutating func unary() throws(RulesError) -> S.Expression {
        let at = current.position
        guard accept(.minus) else { return try postfix() }
        try nest()
        defer { depth -= 1 }
        return try node(.negate(try unary()), at)
    }

    /// `postfix = primary { "." NAME | "[" expression "]" }`.
    private mutating func postfix() throws(RulesError) -> S.Expression {
        var value = try primary()
        while true {
            if accept(.dot) {
                let field = current
                guard field.kind == .identifier else { throw expected("a field name after '.' (line, signal, hist, upper, mid or lower)") }
                index += 1
                value = try node(.field(value, name: field.text), field.position)
            } else if current.kind == .leftBracket {
                let at = advance().position
                let offset = try expression()
                try expect(.rightBracket, "']' after the history offset")
                value = try node(.history(value, offset: offset), at)
            } else {
                return value
            }
        }
    }

    /// `primary = NUMBER | "true" | "false" | NAME [ "(" [ expression { "," expression } ] ")" ] | "(" expression ")"`.
    private mutating func primary() throws(RulesError) -> S.Expression {
        let token = current
        switch token.kind {
        case .number:
            index += 1
            return try node(.number(try Self.number(token)), token.position)
        case .leftParen:
            index += 1
            let inner = try expression()
            try expect(.rightParen, "')' to close the '(' at \(token.position)")
            return inner
        case .identifier where token.text == "true" || token.text == "false":
            index += 1
            return try node(.bool(token.text == "true"), token.position)
        case .identifier where !Keyword.all.contains(token.text):
            index += 1
            let open = current.position
            guard accept(.leftParen) else { return try node(.name(token.text), token.position) }
            return try node(.call(name: token.text, arguments: try arguments(of: token.text, openedAt: open)), token.position)
        default:
            throw expected("an expression (a number, a series, a parameter, a function call or '(')")
        }
    }

    /// The arguments of a call whose `(` is at `open` (named in the error when the call is not
    /// closed, which is often found only on a later line).
    private mutating func arguments(of function: String, openedAt open: SourcePosition) throws(RulesError) -> [S.Expression] {
        var arguments: [S.Expression] = []
        if accept(.rightParen) { return arguments }
        try nest()
        defer { depth -= 1 }
        repeat {
            arguments.append(try expression())
        } while accept(.comma)
        try expect(.rightParen, "',' or ')' after the arguments of \(function) (opened at \(open))")
        return arguments
    }
}
