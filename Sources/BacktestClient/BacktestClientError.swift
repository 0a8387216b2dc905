import BacktestAPI

/// An error of the client: a stable ``code``, a human ``message``, and the server's problem
/// document when the server sent one.
public struct BacktestClientError: Error, Sendable, Equatable, CustomStringConvertible {
    /// A stable, machine-readable code (`unreachable`, `timeout`, `http_422`, `invalid_reply`, …).
    public var code: String
    /// What went wrong, for people.
    public var message: String
    /// The HTTP status, when the server answered.
    public var status: Int?
    /// The server's problem document, when it sent one.
    public var problem: Problem?
    /// The endpoint the failing request went to, if one.
    public var endpoint: String?

    /// Creates an error.
    public init(code: String, message: String, status: Int? = nil, problem: Problem? = nil, endpoint: String? = nil) {
        self.code = code
        self.message = message
        self.status = status
        self.problem = problem
        self.endpoint = endpoint
    }

    public var description: String { message }

    /// The error as a problem document (the server's, or one built from the code), for
    /// reporting a failed batch item in the batch route's shape.
    public var asProblem: Problem {
        if let problem { return problem }
        return Problem(code: code, title: "Client error", status: status ?? 0, detail: message)
    }

    /// No endpoint could be found or none answered.
    static func noEndpoint(_ detail: String) -> Self {
        Self(code: "no_endpoint", message: detail)
    }
}
