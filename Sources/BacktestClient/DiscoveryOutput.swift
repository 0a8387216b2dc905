/// Finds the server address in a discovery command's output: the first IPv4 or IPv6
/// address, anywhere in the text (`External IP: 35.1.2.3` works). `ADDR:PORT` (or
/// `[V6]:PORT`) keeps its port; otherwise the default port applies.
public enum DiscoveryOutput {
    /// The first address in `output` as an endpoint, or `nil` when there is none.
    public static func endpoint(in output: String, defaultPort: Int = Endpoint.defaultPort) -> Endpoint? {
        let separators: (Character) -> Bool = { c in
            !(c.isHexDigit || c == "." || c == ":" || c == "[" || c == "]")
        }
        for token in output.split(whereSeparator: separators) {
            if let e = ipv4(token, defaultPort: defaultPort) ?? ipv6(token, defaultPort: defaultPort) { return e }
        }
        return nil
    }

    static func ipv4(_ token: Substring, defaultPort: Int) -> Endpoint? {
        var t = token
        while let l = t.last, l == "." || l == ":" { t = t.dropLast() }
        let pieces = t.split(separator: ":", omittingEmptySubsequences: false)
        guard pieces.count == 1 || pieces.count == 2, isIPv4(pieces[0]) else { return nil }
        var port = defaultPort
        if pieces.count == 2 {
            guard let p = Int(pieces[1]), (1...65_535).contains(p) else { return nil }
            port = p
        }
        return Endpoint(host: String(pieces[0]), port: port)
    }

    static func isIPv4(_ s: Substring) -> Bool {
        let octets = s.split(separator: ".", omittingEmptySubsequences: false)
        guard octets.count == 4 else { return false }
        return octets.allSatisfy { o in
            !o.isEmpty && o.count <= 3 && o.allSatisfy(\.isASCIIDigit) && (Int(o) ?? 256) <= 255
        }
    }

    static func ipv6(_ token: Substring, defaultPort: Int) -> Endpoint? {
        var host = token
        var port = defaultPort
        if token.hasPrefix("[") {
            guard let close = token.firstIndex(of: "]") else { return nil }
            host = token[token.index(after: token.startIndex)..<close]
            let after = token[token.index(after: close)...]
            if after.hasPrefix(":"), let p = Int(after.dropFirst()), (1...65_535).contains(p) { port = p }
        }
        guard isIPv6(host) else { return nil }
        return Endpoint(host: String(host), port: port)
    }

    static func isIPv6(_ s: Substring) -> Bool {
        guard s.contains(":"), s.count >= 2, s.allSatisfy({ $0.isHexDigit || $0 == ":" || $0 == "." }) else { return false }
        let doubleColons = s.ranges(of: "::").count
        guard doubleColons <= 1 else { return false }
        let groups = s.split(separator: ":", omittingEmptySubsequences: true)
        guard !groups.isEmpty || doubleColons == 1 else { return false }
        var count = 0
        for (i, g) in groups.enumerated() {
            if g.contains(".") {
                guard i == groups.count - 1, isIPv4(g) else { return false }
                count += 2
            } else {
                guard g.count <= 4 else { return false }
                count += 1
            }
        }
        // A time like 12:30 is not an address: require 8 groups, or `::` compression.
        return doubleColons == 1 ? count < 8 : count == 8
    }
}

extension Character {
    var isASCIIDigit: Bool { ("0"..."9").contains(self) }
}
