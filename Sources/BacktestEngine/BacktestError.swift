/// An error with a stable machine-readable code, a human message and, where one input is
/// to blame, the name of that field.
///
/// ```swift
/// throw BacktestError(code: .invalidParameter, message: "fast must be below slow", field: "params.fast")
/// ```
public struct BacktestError: Error, Sendable, Equatable, CustomStringConvertible {
    /// A stable identifier such as ``Code/unknownStrategy`` or ``Code/invalidParameter``.
    public var code: Code
    /// A one-line explanation for people.
    public var message: String
    /// The input field at fault, when there is one (e.g. `params.fast`, `commission`).
    public var field: String?

    /// Creates an error.
    public init(code: Code, message: String, field: String? = nil) {
        self.code = code
        self.message = message
        self.field = field
    }

    public var description: String { message }

    /// An invalid-field error: `field` is named in the message too.
    public static func invalid(_ field: String, _ message: String) -> BacktestError {
        BacktestError(code: .invalidField, message: "\(field): \(message)", field: field)
    }
}

extension BacktestError {
    /// The kind of a ``BacktestError``. Every code is a fault of the input (a request, a
    /// strategy's parameters, the bars); the server answers each with a 422 problem of the
    /// same name (`BacktestAPI.ProblemCode`).
    ///
    /// New codes may be added; switch over them with a `default` branch.
    public struct Code: Hashable, Sendable, CaseIterable, CustomStringConvertible {
        private enum Base: String, CaseIterable, Sendable {
            case invalidField = "invalid_field"
            case missingField = "missing_field"
            case unknownField = "unknown_field"
            case unknownStrategy = "unknown_strategy"
            case unknownParameter = "unknown_parameter"
            case missingParameter = "missing_parameter"
            case invalidParameter = "invalid_parameter"
            case insufficientData = "insufficient_data"
            case invalidBars = "invalid_bars"
            case invalidOrder = "invalid_order"
        }

        private let base: Base
        private init(_ base: Base) { self.base = base }

        /// A field has a value out of range or of the wrong type.
        public static let invalidField = Code(.invalidField)
        /// A required field is missing.
        public static let missingField = Code(.missingField)
        /// A field the request type does not have.
        public static let unknownField = Code(.unknownField)
        /// No built-in strategy has this name.
        public static let unknownStrategy = Code(.unknownStrategy)
        /// The strategy has no parameter of this name.
        public static let unknownParameter = Code(.unknownParameter)
        /// A required strategy parameter is missing.
        public static let missingParameter = Code(.missingParameter)
        /// A strategy parameter is out of bounds or of the wrong type.
        public static let invalidParameter = Code(.invalidParameter)
        /// Fewer than 2 bars.
        public static let insufficientData = Code(.insufficientData)
        /// A bar breaks the OHLC rules (columns of different lengths, high below low, ...).
        public static let invalidBars = Code(.invalidBars)
        /// A strategy placed an invalid order (size, stop-loss or take-profit).
        public static let invalidOrder = Code(.invalidOrder)

        /// Every code.
        public static var allCases: [Code] { Base.allCases.map(Code.init) }

        /// The wire form, e.g. `invalid_parameter`.
        public var rawValue: String { base.rawValue }

        public var description: String { rawValue }
    }
}
