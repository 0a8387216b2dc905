import BacktestEngine

/// An error in a rules program: a stable ``code``, where it is (`line`, `column`, both
/// 1-based) and a message that says what was expected.
///
/// ```swift
/// do {
///     _ = try RulesProgram.compile("enter long when crossover(close, sma(close, 10)")
/// } catch {
///     print(error)  // 1:48: expected ',' or ')' after the arguments of crossover (opened at 1:26), found end of input
/// }
/// ```
///
/// Errors found while resolving parameter values (``RulesProgram/resolve(params:)``) point
/// at the statement that declares or uses the parameter, and name it in ``parameter``.
public struct RulesError: Error, Sendable, Hashable, CustomStringConvertible {
    /// What kind of error this is; stable across versions (see ``Code``).
    public var code: Code
    /// 1-based line of the offending text.
    public var line: Int
    /// 1-based column (in bytes) of the offending text.
    public var column: Int
    /// A one-line explanation for people, saying what was expected.
    public var message: String
    /// The parameter at fault, when one is (`fast`, or `sl_pct` for the engine's brackets).
    public var parameter: String?
    /// The ``RulesLimits`` field that was exceeded, for ``Code/limitExceeded`` (e.g.
    /// `maxIndicators`).
    public var limit: String?

    /// Creates an error.
    public init(code: Code, line: Int, column: Int, message: String, parameter: String? = nil, limit: String? = nil) {
        self.code = code
        self.line = max(1, line)
        self.column = max(1, column)
        self.message = message
        self.parameter = parameter
        self.limit = limit
    }

    init(_ code: Code, at position: SourcePosition, _ message: String, parameter: String? = nil, limit: String? = nil) {
        self.init(code: code, line: position.line, column: position.column, message: message, parameter: parameter, limit: limit)
    }

    /// `line:column: message`, e.g. `3:17: expected ']' after the history offset, found ','`.
    public var description: String { "\(line):\(column): \(message)" }

    /// The same error as the engine reports request errors: ``Code/unknownParameter`` as
    /// `unknown_parameter`, parameter values as `invalid_parameter` (field `params.NAME`, or
    /// `sl_pct`/`tp_pct`), everything else as `invalid_field` on `field` (`rules` by default)
    /// with the position in the message.
    public func backtestError(field: String = "rules") -> BacktestError {
        switch code {
        case .unknownParameter:
            return BacktestError(code: .unknownParameter, message: message, field: parameter.map { "params.\($0)" })
        case .parameterOutOfRange, .typeMismatch, .requirementFailed, .limitExceeded:
            if let parameter {
                let isBracket = parameter == "sl_pct" || parameter == "tp_pct"
                return BacktestError(
                    code: isBracket ? .invalidField : .invalidParameter,
                    message: message,
                    field: isBracket ? parameter : "params.\(parameter)"
                )
            }
        default:
            break
        }
        return BacktestError(code: .invalidField, message: "\(field): \(description)", field: field)
    }
}

extension RulesError {
    /// The kind of a ``RulesError``. The raw values are the wire names.
    public enum Code: String, Sendable, Hashable, CaseIterable, CustomStringConvertible {
        /// The text does not follow the grammar (an unexpected token or character).
        case syntax
        /// A name that is not a series, a parameter, a `let`, a function or a field.
        case unknownName = "unknown_name"
        /// An operand of the wrong type (a number where a condition is expected, ...).
        case typeMismatch = "type_mismatch"
        /// A function argument that is not allowed (wrong count, not a constant, a period
        /// that is not a whole number >= 1, ...).
        case invalidArgument = "invalid_argument"
        /// A name declared twice, or one that shadows a series, function or keyword.
        case duplicateName = "duplicate_name"
        /// A ``RulesLimits`` limit was exceeded; ``RulesError/limit`` names it.
        case limitExceeded = "limit_exceeded"
        /// A parameter value (or a declared default or bound) outside its range.
        case parameterOutOfRange = "parameter_out_of_range"
        /// A parameter value for a name the program does not declare.
        case unknownParameter = "unknown_parameter"
        /// A `require` statement does not hold for the parameter values.
        case requirementFailed = "requirement_failed"

        /// The wire name, e.g. `limit_exceeded`.
        public var description: String { rawValue }
    }
}

/// A 1-based line and column (in bytes) in a rules source.
public struct SourcePosition: Sendable, Hashable, Comparable, CustomStringConvertible {
    /// 1-based line.
    public var line: Int
    /// 1-based column, in bytes.
    public var column: Int

    /// Creates a position.
    public init(line: Int, column: Int) {
        self.line = line
        self.column = column
    }

    /// `line:column`.
    public var description: String { "\(line):\(column)" }

    /// Source order.
    public static func < (a: SourcePosition, b: SourcePosition) -> Bool {
        (a.line, a.column) < (b.line, b.column)
    }
}
