import BacktestAPI

/// An error of the client: a stable ``code``, a human ``message``, and the server's problem
/// document when the server sent one.
public struct BacktestClientError: Error, Sendable, Equatable, CustomStringConvertible {
    /// A stable, machine-readable code: the server problem's code when the server sent one
    /// (``ProblemCode/unknownTicker``, ...), `http_NNN` for a status without one, or a
    /// client-side code (``ProblemCode/unreachable``, ``ProblemCode/connectTimeout``, ...).
    public var code: ProblemCode
    /// What went wrong, for people.
    public var message: String
    /// The HTTP status, when the server answered.
    public var status: Int?
    /// The server's problem document, when it sent one.
    public var problem: Problem?
    /// The endpoint the failing request went to, if one.
    public var endpoint: String?

    /// Creates an error.
    public init(code: ProblemCode, message: String, status: Int? = nil, problem: Problem? = nil, endpoint: String? = nil) {
        self.code = code
        self.message = message
        self.status = status
        self.problem = problem
        self.endpoint = endpoint
    }

    public var description: String { message }

    /// The error as a problem document, for reporting a failed batch item in the batch
    /// route's shape: the server's, or one built from the code. A failure on the client side
    /// (no server answered) has no `status`.
    public var asProblem: Problem {
        if let problem { return problem }
        return Problem(code: code, title: code.title, status: status, detail: message)
    }

    /// The error of a failed batch or job item: its problem, or ``ProblemCode/itemFailed``
    /// when it has none.
    public init(item problem: Problem?) {
        self.init(
            code: problem?.code ?? .itemFailed,
            message: problem.map { "\($0.title): \($0.detail)" } ?? "the item failed without an error",
            status: problem?.status,
            problem: problem
        )
    }

    /// Whether this error would fail every request to the same servers alike (a refused
    /// certificate, a bad key, no server, a broken config), so a batch whose items all failed
    /// with it is reported once rather than per item.
    public var failsEveryRequest: Bool {
        [.certificateRejected, .tlsFailed, .caCertificateInvalid, .unauthorized, .noEndpoint, .invalidURL, .configInvalid, .configUnreadable]
            .contains(code)
    }

    /// No endpoint could be found or none answered.
    static func noEndpoint(_ detail: String) -> Self {
        Self(code: .noEndpoint, message: detail)
    }
}
