/// Splits a rules source into tokens: names, numbers, operators and line ends, with
/// `#` comments dropped (the comment that ends a line is kept for that line, as the
/// summary of a `param` declared on it).
///
/// Inside parentheses and brackets a line end is not a token, so a long call can span
/// lines. Only ASCII is allowed outside comments. The closing line end and ``Token/Kind/end``
/// sit just after the last token, on the last line that has one, so an error at the end of
/// the input points at that line rather than at the empty line after a final line break.
struct RulesLexer {
    private let bytes: [UInt8]
    private let limits: RulesLimits
    private var offset = 0
    private var line = 1
    private var lineStart = 0
    private var depth = 0
    /// Just after the last token other than a line end (`nil` before the first).
    private var lastTokenEnd: SourcePosition?
    /// Tokens so far.
    private(set) var tokens: [Token] = []
    /// The comment ending each line, by line number.
    private(set) var comments: [Int: String] = [:]

    /// Tokenises `source`.
    static func tokenize(_ source: String, limits: RulesLimits) throws(RulesError) -> (tokens: [Token], comments: [Int: String]) {
        let size = source.utf8.count
        guard size <= limits.maxSourceBytes else {
            throw RulesError(
                .limitExceeded,
                at: SourcePosition(line: 1, column: 1),
                "the source is \(size) bytes; maxSourceBytes is \(limits.maxSourceBytes)",
                limit: "maxSourceBytes"
            )
        }
        var lexer = RulesLexer(bytes: Array(source.utf8), limits: limits)
        try lexer.run()
        return (lexer.tokens, lexer.comments)
    }

    private init(bytes: [UInt8], limits: RulesLimits) {
        self.bytes = bytes
        self.limits = limits
    }

    private var position: SourcePosition { SourcePosition(line: line, column: offset - lineStart + 1) }

    private func peek(_ ahead: Int = 0) -> UInt8 {
        offset + ahead < bytes.count ? bytes[offset + ahead] : 0
    }

    private mutating func run() throws(RulesError) {
        while offset < bytes.count {
            let c = bytes[offset]
            switch c {
            case UInt8(ascii: " "), UInt8(ascii: "\t"), UInt8(ascii: "\r"):
                offset += 1
            case UInt8(ascii: "\n"):
                if depth == 0 { add(.newline, "", position) }
                offset += 1
                line += 1
                lineStart = offset
            case UInt8(ascii: "#"):
                comment()
            case UInt8(ascii: "0")...UInt8(ascii: "9"):
                try number()
            case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "_"):
                try identifier()
            default:
                try symbol(c)
            }
        }
        let end = lastTokenEnd ?? position
        add(.newline, "", end)
        add(.end, "", end)
    }

    private mutating func add(_ kind: Token.Kind, _ text: String, _ at: SourcePosition) {
        tokens.append(Token(kind: kind, text: text, position: at))
        if kind != .newline && kind != .end {
            lastTokenEnd = SourcePosition(line: at.line, column: at.column + text.utf8.count)
        }
    }

    private mutating func comment() {
        let start = offset + 1
        while offset < bytes.count && bytes[offset] != UInt8(ascii: "\n") { offset += 1 }
        let text = String(decoding: bytes[start..<offset], as: UTF8.self)
        var trimmed = Substring(text)
        while let f = trimmed.first, f == " " || f == "\t" || f == "#" { trimmed.removeFirst() }
        while let l = trimmed.last, l == " " || l == "\t" || l == "\r" { trimmed.removeLast() }
        if !trimmed.isEmpty { comments[line] = String(trimmed) }
    }

    private static func isDigit(_ c: UInt8) -> Bool { c >= UInt8(ascii: "0") && c <= UInt8(ascii: "9") }

    private static func isNameByte(_ c: UInt8) -> Bool {
        isDigit(c) || (c >= UInt8(ascii: "a") && c <= UInt8(ascii: "z")) || (c >= UInt8(ascii: "A") && c <= UInt8(ascii: "Z"))
            || c == UInt8(ascii: "_")
    }

    private mutating func number() throws(RulesError) {
        let at = position
        let start = offset
        while Self.isDigit(peek()) { offset += 1 }
        // A '.' belongs to the number only before a digit: `2..200` is 2, '..', 200.
        if peek() == UInt8(ascii: ".") && Self.isDigit(peek(1)) {
            offset += 1
            while Self.isDigit(peek()) { offset += 1 }
        }
        if peek() == UInt8(ascii: "e") || peek() == UInt8(ascii: "E") {
            let sign = peek(1) == UInt8(ascii: "+") || peek(1) == UInt8(ascii: "-") ? 1 : 0
            guard Self.isDigit(peek(1 + sign)) else {
                offset += 1 + sign
                throw RulesError(.syntax, at: at, "expected digits after the exponent of '\(text(start))'")
            }
            offset += 1 + sign
            while Self.isDigit(peek()) { offset += 1 }
        }
        if Self.isNameByte(peek()) || peek() == UInt8(ascii: ".") && Self.isNameByte(peek(1)) {
            while Self.isNameByte(peek()) || peek() == UInt8(ascii: ".") { offset += 1 }
            throw RulesError(.syntax, at: at, "expected a number, found '\(text(start))'")
        }
        add(.number, text(start), at)
    }

    private mutating func identifier() throws(RulesError) {
        let at = position
        let start = offset
        while Self.isNameByte(peek()) { offset += 1 }
        guard offset - start <= limits.maxNameLength else {
            throw RulesError(
                .limitExceeded,
                at: at,
                "a name of \(offset - start) bytes; maxNameLength is \(limits.maxNameLength)",
                limit: "maxNameLength"
            )
        }
        add(.identifier, text(start), at)
    }

    private func text(_ start: Int) -> String {
        String(decoding: bytes[start..<offset], as: UTF8.self)
    }

    private static let single: [UInt8: Token.Kind] = [
        UInt8(ascii: "+"): .plus, UInt8(ascii: "-"): .minus, UInt8(ascii: "*"): .star, UInt8(ascii: "/"): .slash,
        UInt8(ascii: "%"): .percent, UInt8(ascii: ","): .comma, UInt8(ascii: ":"): .colon,
    ]

    private mutating func symbol(_ c: UInt8) throws(RulesError) {
        let at = position
        let next = peek(1)
        var kind: Token.Kind
        var length = 1
        switch c {
        case UInt8(ascii: "<"): (kind, length) = next == UInt8(ascii: "=") ? (.lessEqual, 2) : (.less, 1)
        case UInt8(ascii: ">"): (kind, length) = next == UInt8(ascii: "=") ? (.greaterEqual, 2) : (.greater, 1)
        case UInt8(ascii: "="): (kind, length) = next == UInt8(ascii: "=") ? (.equalEqual, 2) : (.assign, 1)
        case UInt8(ascii: "."): (kind, length) = next == UInt8(ascii: ".") ? (.dotDot, 2) : (.dot, 1)
        case UInt8(ascii: "!") where next == UInt8(ascii: "="): (kind, length) = (.bangEqual, 2)
        case UInt8(ascii: "("), UInt8(ascii: "["):
            kind = c == UInt8(ascii: "(") ? .leftParen : .leftBracket
            depth += 1
        case UInt8(ascii: ")"), UInt8(ascii: "]"):
            kind = c == UInt8(ascii: ")") ? .rightParen : .rightBracket
            depth = max(0, depth - 1)
        default:
            guard let k = Self.single[c] else { throw unexpected(c, at) }
            kind = k
        }
        offset += length
        add(kind, text(offset - length), at)
    }

    private func unexpected(_ c: UInt8, _ at: SourcePosition) -> RulesError {
        switch c {
        case UInt8(ascii: "&"):
            return RulesError(.syntax, at: at, "unexpected '&'; expected 'and'")
        case UInt8(ascii: "|"):
            return RulesError(.syntax, at: at, "unexpected '|'; expected 'or'")
        case UInt8(ascii: "!"):
            return RulesError(.syntax, at: at, "unexpected '!'; expected 'not' or '!='")
        case 0x21...0x7E:
            return RulesError(.syntax, at: at, "unexpected character '\(Character(Unicode.Scalar(c)))'; expected a name, a number or an operator")
        default:
            return RulesError(.syntax, at: at, "unexpected byte 0x\(String(c, radix: 16)); only ASCII is allowed outside comments")
        }
    }
}
