/// The syntax tree of a rules source, as the parser builds it: one ``Statement`` per line.
enum RulesSyntax {
    /// A parsed program.
    struct Program: Sendable, Hashable {
        var statements: [Statement]
    }

    /// One statement and where it starts.
    struct Statement: Sendable, Hashable {
        var kind: StatementKind
        var position: SourcePosition
        /// The comment ending the statement's (last) line, if any.
        var comment: String?
    }

    /// The statements of the language.
    enum StatementKind: Sendable, Hashable {
        /// `param NAME [: KIND] = DEFAULT [(LO..HI)]`.
        case param(Parameter)
        /// `let NAME = EXPR`.
        case binding(name: Name, value: Expression)
        /// `require EXPR` (a condition on the parameters).
        case require(Expression)
        /// `enter long|short when EXPR`, `exit [long|short] when EXPR`, `reverse when EXPR`.
        case action(Action, Expression)
        /// `size AMOUNT`.
        case size(Amount)
        /// `stop_loss AMOUNT%`.
        case stopLoss(Amount)
        /// `take_profit AMOUNT%`.
        case takeProfit(Amount)
    }

    /// A name and where it is written.
    struct Name: Sendable, Hashable {
        var text: String
        var position: SourcePosition
    }

    /// A `param` declaration.
    struct Parameter: Sendable, Hashable {
        var name: Name
        /// The `: int|float|bool` annotation, if written.
        var annotation: String?
        var value: Literal
        var lower: Literal?
        var upper: Literal?
        /// `true` when `(LO..HI)` was written (either bound may be missing).
        var hasBounds: Bool
    }

    /// A literal in a `param` declaration: a signed number or `true`/`false`.
    struct Literal: Sendable, Hashable {
        enum Value: Sendable, Hashable {
            case number(Double, written: String)
            case bool(Bool)
        }
        var value: Value
        var position: SourcePosition
    }

    /// The actions.
    enum Action: Sendable, Hashable {
        case enterLong, enterShort, exitLong, exitShort, exitAny, reverse

        var text: String {
            switch self {
            case .enterLong: return "enter long"
            case .enterShort: return "enter short"
            case .exitLong: return "exit long"
            case .exitShort: return "exit short"
            case .exitAny: return "exit"
            case .reverse: return "reverse"
            }
        }
    }

    /// The value of `size`, `stop_loss` or `take_profit`: a number or a parameter,
    /// optionally a percentage.
    struct Amount: Sendable, Hashable {
        enum Value: Sendable, Hashable {
            case number(Double, written: String)
            case parameter(String)
        }
        var value: Value
        var percent: Bool
        var position: SourcePosition
    }

    /// An expression and where it starts.
    struct Expression: Sendable, Hashable {
        var kind: ExpressionKind
        var position: SourcePosition
        /// Levels of the tree below and including this node (a leaf is 1).
        var height = 1
    }

    /// The expression forms.
    indirect enum ExpressionKind: Sendable, Hashable {
        case number(Double)
        case bool(Bool)
        case name(String)
        case call(name: String, arguments: [Expression])
        case field(Expression, name: String)
        case history(Expression, offset: Expression)
        case negate(Expression)
        case not(Expression)
        case binary(BinaryOperator, Expression, Expression)

        /// The direct subexpressions.
        var children: [Expression] {
            switch self {
            case .number, .bool, .name: return []
            case .call(_, let arguments): return arguments
            case .field(let e, _), .negate(let e), .not(let e): return [e]
            case .history(let e, let offset): return [e, offset]
            case .binary(_, let a, let b): return [a, b]
            }
        }
    }

    /// The binary operators, with their precedence (higher binds tighter).
    enum BinaryOperator: String, Sendable, Hashable, CaseIterable {
        case or, and
        case less = "<"
        case lessEqual = "<="
        case greater = ">"
        case greaterEqual = ">="
        case equal = "=="
        case notEqual = "!="
        case add = "+"
        case subtract = "-"
        case multiply = "*"
        case divide = "/"

        var precedence: Int {
            switch self {
            case .or: return 1
            case .and: return 2
            case .less, .lessEqual, .greater, .greaterEqual, .equal, .notEqual: return 4
            case .add, .subtract: return 5
            case .multiply, .divide: return 6
            }
        }

        var isComparison: Bool { precedence == 4 }
        var isLogical: Bool { self == .and || self == .or }
    }

    /// Precedence of `not` (between `and` and the comparisons) and of unary minus.
    static let notPrecedence = 3
    static let negatePrecedence = 7
    /// Precedence of calls, fields, history and primaries.
    static let postfixPrecedence = 8
}
