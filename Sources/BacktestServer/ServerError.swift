/// An error that stops the server from starting or running: bad configuration, a
/// database that cannot be opened, a refused insecure bind.
public struct ServerError: Error, Sendable, Equatable, CustomStringConvertible {
    /// Stable identifier: `insecure_bind`, `invalid_configuration`, `database`, `api_keys`.
    public var code: String
    /// What went wrong and what to do about it.
    public var message: String

    /// Creates an error.
    public init(code: String, message: String) {
        self.code = code
        self.message = message
    }

    public var description: String { message }
}
