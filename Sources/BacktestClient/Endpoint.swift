import BacktestAPI
import Foundation

/// One server address: scheme, host and port, e.g. `http://127.0.0.1:8000`.
public struct Endpoint: Sendable, Hashable, CustomStringConvertible {
    /// `http` or `https`.
    public var scheme: String
    /// Host name or IP address (IPv6 without brackets).
    public var host: String
    /// TCP port.
    public var port: Int

    /// The port used when an address has none (8000, the server's default).
    public static let defaultPort = 8000

    /// Creates an endpoint.
    public init(scheme: String = "http", host: String, port: Int = Endpoint.defaultPort) {
        self.scheme = scheme
        self.host = host
        self.port = port
    }

    /// Parses `http://host:port`, `https://host`, `host:port`, `host`, `[v6]:port` or a
    /// bare IPv6 address; a trailing `/` is ignored. Returns `nil` for anything else.
    public init?(parsing text: String, defaultPort: Int = Endpoint.defaultPort) {
        var rest = Substring(text.trimmingWhitespace())
        var scheme = "http"
        if let range = rest.range(of: "://") {
            scheme = rest[..<range.lowerBound].lowercased()
            guard scheme == "http" || scheme == "https" else { return nil }
            rest = rest[range.upperBound...]
        }
        while rest.hasSuffix("/") { rest = rest.dropLast() }
        guard !rest.isEmpty, !rest.contains("/"), !rest.contains(where: \.isWhitespace) else { return nil }
        let defaultForScheme = scheme == "https" && !text.contains("://") ? 443 : (scheme == "https" ? 443 : defaultPort)
        var host: Substring
        var port = defaultForScheme
        if rest.hasPrefix("[") {
            guard let close = rest.firstIndex(of: "]") else { return nil }
            host = rest[rest.index(after: rest.startIndex)..<close]
            let after = rest[rest.index(after: close)...]
            if !after.isEmpty {
                guard after.hasPrefix(":"), let p = Int(after.dropFirst()) else { return nil }
                port = p
            }
        } else if rest.filter({ $0 == ":" }).count > 1 {
            host = rest  // a bare IPv6 address
        } else if let colon = rest.firstIndex(of: ":") {
            host = rest[..<colon]
            guard let p = Int(rest[rest.index(after: colon)...]) else { return nil }
            port = p
        } else {
            host = rest
        }
        guard !host.isEmpty, (1...65_535).contains(port) else { return nil }
        self.init(scheme: scheme, host: String(host), port: port)
    }

    /// Parses a comma-separated list of endpoints; throws on the first invalid entry.
    public static func parseList(_ text: String, defaultPort: Int = Endpoint.defaultPort) throws(BacktestClientError) -> [Endpoint] {
        var endpoints: [Endpoint] = []
        for part in text.split(separator: ",") {
            let item = String(part).trimmingWhitespace()
            if item.isEmpty { continue }
            guard let endpoint = Endpoint(parsing: item, defaultPort: defaultPort) else {
                throw BacktestClientError(code: .invalidURL, message: "'\(item)' is not a server URL (expected http://HOST:PORT)")
            }
            if !endpoints.contains(endpoint) { endpoints.append(endpoint) }
        }
        guard !endpoints.isEmpty else {
            throw BacktestClientError(code: .invalidURL, message: "no server URL in '\(text)'")
        }
        return endpoints
    }

    /// The base URL, without a trailing slash.
    public var url: String {
        let h = host.contains(":") ? "[\(host)]" : host
        return "\(scheme)://\(h):\(port)"
    }

    public var description: String { url }
}

extension String {
    /// The string without leading and trailing whitespace and newlines.
    func trimmingWhitespace() -> String {
        var s = Substring(self)
        while let f = s.first, f.isWhitespace { s = s.dropFirst() }
        while let l = s.last, l.isWhitespace { s = s.dropLast() }
        return String(s)
    }
}
