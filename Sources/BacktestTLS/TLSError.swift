/// An error of the certificate tools: a stable ``code`` and a message that names the file,
/// host or value at fault.
public struct TLSError: Error, Sendable, Equatable, CustomStringConvertible {
    /// What kind of error: see ``Code``.
    public var code: Code
    /// What went wrong, for people.
    public var message: String

    /// Creates an error.
    public init(code: Code, message: String) {
        self.code = code
        self.message = message
    }

    public var description: String { message }
}

extension TLSError {
    /// The kind of a ``TLSError``.
    ///
    /// New codes may be added; switch over them with a `default` branch.
    public struct Code: Hashable, Sendable, CustomStringConvertible {
        private enum Base: String, Sendable {
            case invalidHost = "invalid_host"
            case unreadableFile = "unreadable_file"
            case invalidPEM = "invalid_pem"
            case unwritableFile = "unwritable_file"
            case signing
        }

        private let base: Base
        private init(_ base: Base) { self.base = base }

        /// A `--host` entry that is neither an IP address nor a DNS name.
        public static let invalidHost = Code(.invalidHost)
        /// A certificate or key file that cannot be read.
        public static let unreadableFile = Code(.unreadableFile)
        /// A file that does not hold the PEM certificate or key expected.
        public static let invalidPEM = Code(.invalidPEM)
        /// A file or folder that cannot be written.
        public static let unwritableFile = Code(.unwritableFile)
        /// A certificate could not be built or signed.
        public static let signing = Code(.signing)

        /// The stable name, e.g. `invalid_host`.
        public var rawValue: String { base.rawValue }

        public var description: String { rawValue }
    }
}
