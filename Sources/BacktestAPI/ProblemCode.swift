/// The stable code of an error, shared by the server's problem documents and the client's
/// errors: the last path segment of a problem's `type` URI
/// (`https://backtest.dev/problems/unknown_ticker`), and `BacktestClientError.code`.
///
/// Server problems know the HTTP status and title the server sends them with, so a server
/// builds one from the code and its detail alone:
///
/// ```swift
/// throw Problem(code: .unknownTicker, detail: "unknown ticker 'TSLA'", field: "ticker")
/// ```
///
/// Client-side codes (``unreachable``, ``connectTimeout``, ``noEndpoint``, ...) have no
/// status: no server answered.
///
/// A code this build does not know (sent by a newer server) is kept as it came: its
/// ``rawValue`` and ``type`` round-trip unchanged, ``isRecognized`` is `false`, and it
/// equals no static member. Switch over codes with a `default` branch: new codes may be added.
public struct ProblemCode: Hashable, Sendable, CustomStringConvertible {
    private enum Known: String, CaseIterable, Sendable {
        // Request validation (422).
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
        case emptyRange = "empty_range"
        // A refused upload (422): what is wrong with the bars.
        case missingColumn = "missing_column"
        case invalidNumber = "invalid_number"
        case invalidDate = "invalid_date"
        case invalidPrice = "invalid_price"
        case highBelowLow = "high_below_low"
        case duplicateTimestamp = "duplicate_timestamp"
        case empty
        case unreadable
        // Other server problems.
        case malformedJSON = "malformed_json"
        case unauthorized
        case unknownTicker = "unknown_ticker"
        case unknownJob = "unknown_job"
        case notFound = "not_found"
        case methodNotAllowed = "method_not_allowed"
        case bodyTooLarge = "body_too_large"
        case unsupportedMediaType = "unsupported_media_type"
        case overloaded
        case `internal`
        case storeFailure = "store_failure"
        case badMarketData = "bad_market_data"
        case contractViolation = "contract_violation"
        case starting
        case draining
        case databaseUnavailable = "database_unavailable"
        case noStore = "no_store"
        case cancelled
        // Client side: no server answered, or its answer was unusable.
        case unreachable
        case connectTimeout = "connect_timeout"
        case readTimeout = "read_timeout"
        case connectionClosed = "connection_closed"
        case noEndpoint = "no_endpoint"
        case invalidURL = "invalid_url"
        case invalidReply = "invalid_reply"
        case invalidRequest = "invalid_request"
        case invalidJobID = "invalid_job_id"
        case missingItem = "missing_item"
        case itemFailed = "item_failed"
        case configUnreadable = "config_unreadable"
        case configInvalid = "config_invalid"
        case discoveryFailed = "discovery_failed"
        case discoveryNoAddress = "discovery_no_address"
        case discoveryTimeout = "discovery_timeout"
        case certificateRejected = "certificate_rejected"
        case tlsFailed = "tls_failed"
        case caCertificateInvalid = "ca_cert_invalid"
        case invalidGrid = "invalid_grid"
        case invalidConstraint = "invalid_constraint"
        case unknownStatistic = "unknown_statistic"
        case emptyGrid = "empty_grid"
        case tooManyCombinations = "too_many_combinations"
        case invalidCombination = "invalid_combination"
        case invalidWalkForward = "invalid_walk_forward"
        case invalidSearch = "invalid_search"
        case notFinished = "not_finished"

        /// The HTTP status the server sends the problem with (`nil`: client side) and its
        /// title. The one table of both.
        var details: (status: Int?, title: String) {
            switch self {
            case .invalidField, .invalidBars, .invalidOrder: (422, "Invalid field")
            case .missingField, .missingParameter: (422, "Missing field")
            case .unknownField: (422, "Unknown field")
            case .unknownStrategy: (422, "Unknown strategy")
            case .unknownParameter: (422, "Unknown parameter")
            case .invalidParameter: (422, "Invalid parameter")
            case .insufficientData: (422, "Not enough data")
            case .emptyRange: (422, "Empty date range")
            case .missingColumn, .invalidNumber, .invalidDate, .invalidPrice, .highBelowLow, .duplicateTimestamp, .empty, .unreadable:
                (422, "Invalid bars")
            case .malformedJSON: (400, "Malformed JSON")
            case .unauthorized: (401, "Unauthorized")
            case .unknownTicker: (404, "Unknown ticker")
            case .unknownJob: (404, "Unknown job")
            case .notFound: (404, "Not found")
            case .methodNotAllowed: (405, "Method not allowed")
            case .bodyTooLarge: (413, "Body too large")
            case .unsupportedMediaType: (415, "Unsupported media type")
            case .overloaded: (429, "Too many requests")
            case .internal, .storeFailure: (500, "Internal server error")
            case .badMarketData: (500, "Market data unreadable")
            case .contractViolation: (500, "Reply breaks the API document")
            case .starting, .draining, .noStore, .databaseUnavailable: (503, "Service unavailable")
            case .cancelled: (503, "Cancelled")
            case .unreachable: (nil, "Server unreachable")
            case .connectTimeout: (nil, "Connect timeout")
            case .readTimeout: (nil, "Read timeout")
            case .connectionClosed: (nil, "Connection closed")
            case .noEndpoint: (nil, "No server found")
            case .invalidURL: (nil, "Invalid server URL")
            case .invalidReply: (nil, "Invalid reply")
            case .invalidRequest: (nil, "Invalid request")
            case .invalidJobID: (nil, "Invalid job id")
            case .missingItem: (nil, "Missing batch item")
            case .itemFailed: (nil, "Batch item failed")
            case .configUnreadable: (nil, "Config file unreadable")
            case .configInvalid: (nil, "Invalid config file")
            case .discoveryFailed: (nil, "Discovery failed")
            case .discoveryNoAddress: (nil, "No address discovered")
            case .discoveryTimeout: (nil, "Discovery timed out")
            case .certificateRejected: (nil, "Server certificate refused")
            case .tlsFailed: (nil, "TLS handshake failed")
            case .caCertificateInvalid: (nil, "Invalid CA certificate")
            case .invalidGrid: (422, "Invalid grid")
            case .invalidConstraint: (422, "Invalid constraint")
            case .unknownStatistic: (422, "Unknown statistic")
            case .emptyGrid: (422, "Empty grid")
            case .tooManyCombinations: (413, "Too many combinations")
            case .invalidCombination: (422, "Invalid combination")
            case .invalidWalkForward: (422, "Invalid walk-forward")
            case .invalidSearch: (422, "Invalid search")
            case .notFinished: (409, "Not finished")
            }
        }
    }

    private enum Base: Hashable, Sendable {
        case known(Known)
        /// `http_NNN`: a status without a more specific code.
        case http(Int)
        /// A code this build does not know, kept verbatim.
        case unrecognized(String)
    }

    private let base: Base
    private init(_ known: Known) { base = .known(known) }

    /// The code named `rawValue` (e.g. `unknown_ticker`); a name this build does not know is
    /// kept verbatim (``isRecognized`` is `false`).
    public init(rawValue: String) {
        if let known = Known(rawValue: rawValue) {
            base = .known(known)
        } else if rawValue.hasPrefix("http_"), let status = Int(rawValue.dropFirst(5)), (100...599).contains(status),
            rawValue == "http_\(status)"
        {
            base = .http(status)
        } else {
            base = .unrecognized(rawValue)
        }
    }

    /// The code of a problem `type` URI: its last path segment.
    public init(type: String) {
        if type.hasPrefix(Self.typePrefix) {
            self.init(rawValue: String(type.dropFirst(Self.typePrefix.count)))
        } else {
            self.init(rawValue: type.split(separator: "/").last.map(String.init) ?? type)
        }
    }

    /// What every problem `type` URI starts with.
    public static let typePrefix = "https://backtest.dev/problems/"

    /// The wire form, e.g. `unknown_ticker`: the last path segment of ``type``.
    public var rawValue: String {
        switch base {
        case .known(let known): known.rawValue
        case .http(let status): "http_\(status)"
        case .unrecognized(let raw): raw
        }
    }

    /// The problem `type` URI, e.g. `https://backtest.dev/problems/unknown_ticker`.
    public var type: String { Self.typePrefix + rawValue }

    /// `false` for a code this build does not know (from a newer server).
    public var isRecognized: Bool {
        if case .unrecognized = base { return false }
        return true
    }

    /// The HTTP status the server sends this problem with; `nil` for client-side codes
    /// (no server answered) and for codes this build does not know.
    public var status: Int? {
        switch base {
        case .known(let known): known.details.status
        case .http(let status): status
        case .unrecognized: nil
        }
    }

    /// A short summary for people (`Unknown ticker`), the problem's `title`.
    public var title: String {
        switch base {
        case .known(let known): known.details.title
        case .http(let status): "HTTP \(status)"
        case .unrecognized(let raw): String(raw.map { $0 == "_" ? " " : $0 })
        }
    }

    public var description: String { rawValue }

    /// Every code this build knows (``http(_:)`` codes aside).
    public static var allKnown: [ProblemCode] { Known.allCases.map(ProblemCode.init) }

    /// A status without a more specific code, e.g. a proxy's 502 (`http_502`).
    public static func http(_ status: Int) -> ProblemCode { ProblemCode(rawValue: "http_\(status)") }

    // MARK: Request validation (422)

    /// A field has a value out of range or of the wrong type (named in the problem's `field`).
    public static let invalidField = ProblemCode(.invalidField)
    /// A required field is missing.
    public static let missingField = ProblemCode(.missingField)
    /// A field the request does not have.
    public static let unknownField = ProblemCode(.unknownField)
    /// No built-in strategy has this name.
    public static let unknownStrategy = ProblemCode(.unknownStrategy)
    /// The strategy has no parameter of this name.
    public static let unknownParameter = ProblemCode(.unknownParameter)
    /// A required strategy parameter is missing.
    public static let missingParameter = ProblemCode(.missingParameter)
    /// A strategy parameter is out of bounds or of the wrong type.
    public static let invalidParameter = ProblemCode(.invalidParameter)
    /// Fewer than 2 bars.
    public static let insufficientData = ProblemCode(.insufficientData)
    /// The bars break the OHLC rules.
    public static let invalidBars = ProblemCode(.invalidBars)
    /// The strategy placed an invalid order.
    public static let invalidOrder = ProblemCode(.invalidOrder)
    /// The date range holds fewer than 2 bars.
    public static let emptyRange = ProblemCode(.emptyRange)

    // MARK: A refused upload (422)

    /// A required column is missing, or a row has too few fields.
    public static let missingColumn = ProblemCode(.missingColumn)
    /// A field is not a number, or a volume is negative.
    public static let invalidNumber = ProblemCode(.invalidNumber)
    /// A timestamp is not an ISO date or date-time.
    public static let invalidDate = ProblemCode(.invalidDate)
    /// A price is not positive and finite.
    public static let invalidPrice = ProblemCode(.invalidPrice)
    /// A bar's high is below its low.
    public static let highBelowLow = ProblemCode(.highBelowLow)
    /// Two bars share a timestamp.
    public static let duplicateTimestamp = ProblemCode(.duplicateTimestamp)
    /// The upload holds no bars.
    public static let empty = ProblemCode(.empty)
    /// The upload cannot be read.
    public static let unreadable = ProblemCode(.unreadable)

    // MARK: Other server problems

    /// The body is not JSON, or not the expected shape (400).
    public static let malformedJSON = ProblemCode(.malformedJSON)
    /// A missing or wrong API key (401).
    public static let unauthorized = ProblemCode(.unauthorized)
    /// The server has no bars of the ticker (404).
    public static let unknownTicker = ProblemCode(.unknownTicker)
    /// No job with this id (404).
    public static let unknownJob = ProblemCode(.unknownJob)
    /// No such route (404).
    public static let notFound = ProblemCode(.notFound)
    /// The route does not accept the method (405).
    public static let methodNotAllowed = ProblemCode(.methodNotAllowed)
    /// The body is over the server's limit (413).
    public static let bodyTooLarge = ProblemCode(.bodyTooLarge)
    /// An upload that is not text/csv (415).
    public static let unsupportedMediaType = ProblemCode(.unsupportedMediaType)
    /// The queue is full (429, with `Retry-After`).
    public static let overloaded = ProblemCode(.overloaded)
    /// An unexpected server fault (500, with the request id).
    public static let `internal` = ProblemCode(.internal)
    /// Uploaded bars could not be stored (500).
    public static let storeFailure = ProblemCode(.storeFailure)
    /// The server cannot read a data file (500).
    public static let badMarketData = ProblemCode(.badMarketData)
    /// A reply broke the API document (500; test servers only).
    public static let contractViolation = ProblemCode(.contractViolation)
    /// The server is starting (503).
    public static let starting = ProblemCode(.starting)
    /// The server is shutting down (503).
    public static let draining = ProblemCode(.draining)
    /// The server cannot reach its database; `Retry-After` says when to try again (503).
    public static let databaseUnavailable = ProblemCode(.databaseUnavailable)
    /// The server has no imported store (503).
    public static let noStore = ProblemCode(.noStore)
    /// The work was cancelled: on the server by shutdown or a job cancel (503), on the
    /// client by its task.
    public static let cancelled = ProblemCode(.cancelled)
    /// A `grid` entry that does not parse (a step of 0, `LO > HI`, a bad number) (422).
    public static let invalidGrid = ProblemCode(.invalidGrid)
    /// A search's constraint that does not parse or names an unknown parameter (422).
    public static let invalidConstraint = ProblemCode(.invalidConstraint)
    /// An objective or reported statistic that does not exist (422).
    public static let unknownStatistic = ProblemCode(.unknownStatistic)
    /// No combination of a grid satisfies its constraint (422).
    public static let emptyGrid = ProblemCode(.emptyGrid)
    /// A grid over the server's limit of combinations (`--max-combinations`) (413).
    public static let tooManyCombinations = ProblemCode(.tooManyCombinations)
    /// A combination the strategy refuses (422).
    public static let invalidCombination = ProblemCode(.invalidCombination)
    /// A walk-forward specification that does not parse or does not fit the data (422).
    public static let invalidWalkForward = ProblemCode(.invalidWalkForward)
    /// Search settings that do not go together or are out of range (422).
    public static let invalidSearch = ProblemCode(.invalidSearch)
    /// What was asked for exists once the job has finished (409).
    public static let notFinished = ProblemCode(.notFinished)

    // MARK: Client side

    /// The server cannot be reached (refused, reset, unknown host, TLS failure).
    public static let unreachable = ProblemCode(.unreachable)
    /// Connecting took longer than the connect timeout.
    public static let connectTimeout = ProblemCode(.connectTimeout)
    /// The reply did not come within the read timeout.
    public static let readTimeout = ProblemCode(.readTimeout)
    /// The server closed the connection before replying.
    public static let connectionClosed = ProblemCode(.connectionClosed)
    /// No endpoint found (resolution failed) or left.
    public static let noEndpoint = ProblemCode(.noEndpoint)
    /// A server URL that does not parse.
    public static let invalidURL = ProblemCode(.invalidURL)
    /// A reply that is not what the API document promises.
    public static let invalidReply = ProblemCode(.invalidReply)
    /// A request the client cannot send (encoding failed, a bad path segment).
    public static let invalidRequest = ProblemCode(.invalidRequest)
    /// Text that is not a job id.
    public static let invalidJobID = ProblemCode(.invalidJobID)
    /// A batch reply without an item for a request.
    public static let missingItem = ProblemCode(.missingItem)
    /// A batch item with neither a result nor an error.
    public static let itemFailed = ProblemCode(.itemFailed)
    /// The config file cannot be read.
    public static let configUnreadable = ProblemCode(.configUnreadable)
    /// The config file is not valid.
    public static let configInvalid = ProblemCode(.configInvalid)
    /// The discovery command failed.
    public static let discoveryFailed = ProblemCode(.discoveryFailed)
    /// The discovery command printed no IP address.
    public static let discoveryNoAddress = ProblemCode(.discoveryNoAddress)
    /// The discovery command did not finish in time.
    public static let discoveryTimeout = ProblemCode(.discoveryTimeout)
    /// The server's TLS certificate was refused (untrusted issuer, other host, expired):
    /// never retried, since trying again cannot change it.
    public static let certificateRejected = ProblemCode(.certificateRejected)
    /// The TLS handshake failed for another reason (e.g. `https://` to a plain-HTTP port).
    public static let tlsFailed = ProblemCode(.tlsFailed)
    /// The CA certificate given to trust (`--ca-cert`, `BACKTEST_CA_CERT`, config
    /// `ca_cert`) cannot be read or is not a PEM certificate.
    public static let caCertificateInvalid = ProblemCode(.caCertificateInvalid)
}
