/// An error with a stable machine-readable code, a human message and, where one input is
/// to blame, the name of that field.
///
/// ```swift
/// throw BacktestError(code: "invalid_parameter", message: "fast must be below slow", field: "params.fast")
/// ```
public struct BacktestError: Error, Sendable, Equatable, CustomStringConvertible {
    /// A stable identifier such as `unknown_strategy` or `invalid_parameter`.
    public var code: String
    /// A one-line explanation for people.
    public var message: String
    /// The input field at fault, when there is one (e.g. `params.fast`, `commission`).
    public var field: String?

    /// Creates an error.
    public init(code: String, message: String, field: String? = nil) {
        self.code = code
        self.message = message
        self.field = field
    }

    public var description: String { message }

    /// An invalid-field error: `field` is named in the message too.
    public static func invalid(_ field: String, _ message: String) -> BacktestError {
        BacktestError(code: "invalid_field", message: "\(field): \(message)", field: field)
    }
}
