import Foundation

/// A PostgreSQL URL, `postgres://USER[:PASSWORD]@HOST[:PORT]/DATABASE[?sslmode=…&host=/socket/dir]`
/// (`postgresql://` too), parsed without any I/O. Errors name the part at fault and never
/// echo the password.
///
/// ```swift
/// let url = try DatabaseURL(parsing: "postgres://backtest@127.0.0.1:5432/backtest?sslmode=disable")
/// url.host   // "127.0.0.1"
/// ```
public struct DatabaseURL: Sendable, Hashable, CustomStringConvertible {
    /// How to use TLS (libpq's `sslmode`).
    public enum TLSMode: String, Sendable, Hashable, CaseIterable {
        /// Plain TCP.
        case disable
        /// TLS when the server offers it (libpq's default).
        case prefer
        /// TLS, verified against the system's roots.
        case require
    }

    /// The user name.
    public var user: String
    /// The password, if any.
    public var password: String?
    /// The host name or address (`nil` with a Unix socket).
    public var host: String?
    /// The port. Default 5432.
    public var port: Int
    /// The folder of the server's Unix socket (`?host=/path`), instead of `host`.
    public var socketDirectory: String?
    /// The database.
    public var database: String
    /// TLS. Default `prefer`.
    public var tls: TLSMode

    /// Parses a URL.
    ///
    /// - Throws: ``ServerError`` `invalid_configuration` naming the part.
    public init(parsing text: String) throws(ServerError) {
        func fail(_ why: String) -> ServerError {
            ServerError(code: .invalidConfiguration, message: "--database: \(why) (expected postgres://USER[:PASSWORD]@HOST[:PORT]/DATABASE)")
        }
        guard let components = URLComponents(string: text), let scheme = components.scheme else { throw fail("not a URL") }
        guard scheme == "postgres" || scheme == "postgresql" else { throw fail("scheme '\(scheme.prefix(20))' is not postgres") }
        guard let user = components.user, !user.isEmpty else { throw fail("no user name") }
        let path = components.path.hasPrefix("/") ? String(components.path.dropFirst()) : components.path
        guard !path.isEmpty, !path.contains("/") else { throw fail("no database name after the host") }
        var socketDirectory: String?
        var tls = TLSMode.prefer
        for item in components.queryItems ?? [] {
            switch item.name {
            case "sslmode":
                let value = item.value ?? ""
                switch value {
                case "disable": tls = .disable
                case "allow", "prefer": tls = .prefer
                case "require", "verify-ca", "verify-full": tls = .require
                default: throw fail("sslmode '\(value.prefix(20))' is not disable, prefer or require")
                }
            case "host":
                guard let value = item.value, value.hasPrefix("/") else { throw fail("host= must be a socket folder (an absolute path)") }
                socketDirectory = value
            default:
                throw fail("unknown parameter '\(item.name.prefix(20))' (known: sslmode, host)")
            }
        }
        let host = components.host.flatMap { $0.isEmpty ? nil : $0 }
        guard host != nil || socketDirectory != nil else { throw fail("no host (or ?host=/socket/folder)") }
        if let port = components.port, !(1...65_535).contains(port) { throw fail("port \(port) is out of range") }
        self.user = user
        self.password = components.password
        self.host = host
        self.port = components.port ?? 5432
        self.socketDirectory = socketDirectory
        self.database = path
        self.tls = tls
    }

    /// The URL without its password, for logs and messages.
    public var description: String {
        let place = socketDirectory.map { "?host=\($0)" } ?? ""
        return "postgres://\(user)\(password == nil ? "" : ":***")@\(host ?? ""):\(port)/\(database)\(place)"
    }
}
