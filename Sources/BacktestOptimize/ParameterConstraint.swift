import BacktestEngine

/// Which combinations of a search are admissible: a conjunction of comparisons between
/// parameters and numbers, parsed (never evaluated as code).
///
/// Grammar: `comparison ("and" comparison)*`; a comparison is `operand OP operand` with `OP`
/// one of `< <= > >= == !=`, an operand a parameter name, a number or `true`/`false`.
///
/// ```swift
/// let constraint = try ParameterConstraint(parsing: "fast < slow and slow <= 200", parameters: ["fast", "slow"])
/// constraint.admits(["fast": .number(10), "slow": .number(30)])   // true
/// ```
public struct ParameterConstraint: Sendable, Hashable, CustomStringConvertible {
    /// A comparison operator.
    public enum Comparison: String, Sendable, Hashable, CaseIterable {
        case less = "<"
        case lessOrEqual = "<="
        case greater = ">"
        case greaterOrEqual = ">="
        case equal = "=="
        case notEqual = "!="

        func holds(_ a: Double, _ b: Double) -> Bool {
            switch self {
            case .less: a < b
            case .lessOrEqual: a <= b
            case .greater: a > b
            case .greaterOrEqual: a >= b
            case .equal: a == b
            case .notEqual: a != b
            }
        }
    }

    /// One side of a comparison.
    public enum Operand: Sendable, Hashable {
        case parameter(String)
        case number(Double)
    }

    /// One comparison.
    public struct Term: Sendable, Hashable {
        public var left: Operand
        public var comparison: Comparison
        public var right: Operand
    }

    /// The comparisons, all of which must hold.
    public var terms: [Term]
    /// The text it was parsed from.
    public var text: String

    /// Parses `text`; every parameter it names must be in `parameters`.
    ///
    /// - Throws: ``OptimizeError`` `invalid_constraint` with the 1-based column and what was
    ///   expected there.
    public init(parsing text: String, parameters: [String]) throws(OptimizeError) {
        var parser = Parser(text: text, parameters: parameters)
        self.terms = try parser.parse()
        self.text = text
    }

    /// Whether `values` (every parameter the constraint names) satisfy every comparison.
    /// A boolean counts as 1 (`true`) or 0.
    public func admits(_ values: [String: ParameterValue]) -> Bool {
        func number(_ operand: Operand) -> Double {
            switch operand {
            case .number(let v): return v
            case .parameter(let name):
                switch values[name] {
                case .number(let v)?: return v
                case .bool(let b)?: return b ? 1 : 0
                case nil: return .nan
                }
            }
        }
        return terms.allSatisfy { $0.comparison.holds(number($0.left), number($0.right)) }
    }

    public var description: String { text }

    /// A hand-written recursive-descent parser over the characters of the text.
    private struct Parser {
        let characters: [Character]
        let parameters: [String]
        let text: String
        var position = 0

        init(text: String, parameters: [String]) {
            self.characters = Array(text)
            self.parameters = parameters
            self.text = text
        }

        mutating func parse() throws(OptimizeError) -> [Term] {
            var terms = [try comparison()]
            while true {
                skipSpaces()
                if position == characters.count { return terms }
                let column = position + 1
                guard let word = identifier(), word == "and" else {
                    position = column - 1
                    throw failure("expected 'and' or the end")
                }
                terms.append(try comparison())
            }
        }

        mutating func comparison() throws(OptimizeError) -> Term {
            let left = try operand()
            skipSpaces()
            let start = position
            var symbol = ""
            while position < characters.count, "<>=!".contains(characters[position]), symbol.count < 2 {
                symbol.append(characters[position])
                position += 1
            }
            guard let comparison = Comparison(rawValue: symbol) else {
                position = start
                throw failure("expected a comparison (< <= > >= == !=)")
            }
            let right = try operand()
            return Term(left: left, comparison: comparison, right: right)
        }

        mutating func operand() throws(OptimizeError) -> Operand {
            skipSpaces()
            let start = position
            guard position < characters.count else { throw failure("expected a parameter or a number") }
            let c = characters[position]
            if c.isLetter || c == "_" {
                let name = identifier() ?? ""
                switch name {
                case "true": return .number(1)
                case "false": return .number(0)
                case "and":
                    position = start
                    throw failure("expected a parameter or a number")
                default:
                    guard parameters.contains(name) else {
                        position = start
                        throw failure("unknown parameter '\(name)' (the grid has \(parameters.joined(separator: ", ")))")
                    }
                    return .parameter(name)
                }
            }
            var literal = ""
            while position < characters.count, characters[position].isNumber || ".-+eE".contains(characters[position]) {
                literal.append(characters[position])
                position += 1
            }
            guard let value = Double(literal), value.isFinite else {
                position = start
                throw failure("expected a parameter or a number")
            }
            return .number(value)
        }

        mutating func identifier() -> String? {
            var word = ""
            while position < characters.count, characters[position].isLetter || characters[position].isNumber || characters[position] == "_" {
                word.append(characters[position])
                position += 1
            }
            return word.isEmpty ? nil : word
        }

        mutating func skipSpaces() {
            while position < characters.count, characters[position].isWhitespace { position += 1 }
        }

        func failure(_ expected: String) -> OptimizeError {
            let found = position < characters.count ? "'\(characters[position])'" : "the end"
            return OptimizeError(
                code: .invalidConstraint,
                message: "constraint '\(text)', column \(position + 1): \(expected), found \(found)",
                field: "constraint"
            )
        }
    }
}
