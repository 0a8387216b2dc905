import BacktestEngine
import BacktestJSON
import BacktestRules

/// An RFC 9457 problem document (`application/problem+json`), the body of every error reply.
///
/// The server's problems always carry an HTTP ``status``; a problem the client reports
/// itself (``ProblemCode/unreachable`` in a batch's output, say) has none, since no server
/// answered.
public struct Problem: Error, Sendable, Codable, Equatable, CustomStringConvertible {
    /// A URI naming the problem type, e.g. `https://backtest.dev/problems/invalid_field`.
    public var type: String
    /// A short summary of the type (`Invalid field`).
    public var title: String
    /// The HTTP status; `nil` (and absent on the wire) for a failure on the client side.
    public var status: Int?
    /// What exactly went wrong.
    public var detail: String
    /// The request field at fault, if one.
    public var field: String?
    /// The server's request id (for 500s, to find the log line).
    public var requestId: String?

    enum CodingKeys: String, CodingKey {
        case type, title, status, detail, field
        case requestId = "request_id"
    }

    /// Creates a problem with the code's title and status (none for a client-side code).
    public init(code: ProblemCode, detail: String, field: String? = nil, requestId: String? = nil) {
        self.init(code: code, title: code.title, status: code.status, detail: detail, field: field, requestId: requestId)
    }

    /// Creates a problem. `code` becomes the last path segment of `type`.
    public init(code: ProblemCode, title: String, status: Int?, detail: String, field: String? = nil, requestId: String? = nil) {
        self.init(type: code.type, title: title, status: status, detail: detail, field: field, requestId: requestId)
    }

    /// Creates a problem with any `type` URI (as read from the wire).
    public init(type: String, title: String, status: Int?, detail: String, field: String? = nil, requestId: String? = nil) {
        self.type = type
        self.title = title
        self.status = status
        self.detail = detail
        self.field = field
        self.requestId = requestId
    }

    /// The stable code: the last path segment of `type` (kept verbatim when this build does
    /// not know it).
    public var code: ProblemCode { ProblemCode(type: type) }

    public var description: String { (status.map { "\($0) " } ?? "") + "\(title): \(detail)" }
}
