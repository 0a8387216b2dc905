/// One token of a rules source.
struct Token: Sendable, Hashable {
    /// The kinds of token.
    enum Kind: Sendable, Hashable {
        case identifier, number, newline, end
        case plus, minus, star, slash, percent
        case less, lessEqual, greater, greaterEqual, equalEqual, bangEqual
        case assign, colon, comma, dot, dotDot
        case leftParen, rightParen, leftBracket, rightBracket
    }

    var kind: Kind
    /// The token's text as written (empty for `newline` and `end`).
    var text: String
    var position: SourcePosition

    /// How an error message quotes the token: `'sma'`, `end of line`, `end of input`.
    var quoted: String {
        switch kind {
        case .newline: return "end of line"
        case .end: return "end of input"
        default: return "'\(text)'"
        }
    }

    /// `true` for an identifier spelled `word` (keywords are identifiers to the lexer).
    func isWord(_ word: String) -> Bool {
        kind == .identifier && text == word
    }
}

/// The words the language reserves.
enum Keyword {
    static let all: Set<String> = [
        "param", "let", "require", "enter", "exit", "reverse", "when", "long", "short", "size", "stop_loss", "take_profit", "and",
        "or", "not", "true", "false", "int", "float", "bool",
    ]
}
