/// An error that stops the server from starting or running: bad configuration, a
/// database that cannot be opened, a refused insecure bind.
public struct ServerError: Error, Sendable, Equatable, CustomStringConvertible {
    /// What kind of error: see ``Code``.
    public var code: Code
    /// What went wrong and what to do about it.
    public var message: String

    /// Creates an error.
    public init(code: Code, message: String) {
        self.code = code
        self.message = message
    }

    public var description: String { message }
}

extension ServerError {
    /// The kind of a ``ServerError``.
    ///
    /// New codes may be added; switch over them with a `default` branch.
    public struct Code: Hashable, Sendable, CustomStringConvertible {
        private enum Base: String, Sendable {
            case insecureBind = "insecure_bind"
            case invalidConfiguration = "invalid_configuration"
            case database
            case apiKeys = "api_keys"
            case tlsRequired = "tls_required"
            case tls
        }

        private let base: Base
        private init(_ base: Base) { self.base = base }

        /// A non-loopback bind without API keys (and without `--insecure-no-auth`).
        public static let insecureBind = Code(.insecureBind)
        /// A configuration value out of range.
        public static let invalidConfiguration = Code(.invalidConfiguration)
        /// The database or the bar store cannot be opened.
        public static let database = Code(.database)
        /// The API key file cannot be read.
        public static let apiKeys = Code(.apiKeys)
        /// A non-loopback bind without TLS (and without `--no-tls`).
        public static let tlsRequired = Code(.tlsRequired)
        /// The TLS certificate or key cannot be read, or they do not belong together.
        public static let tls = Code(.tls)

        /// The stable name, e.g. `insecure_bind`.
        public var rawValue: String { base.rawValue }

        public var description: String { rawValue }
    }
}
