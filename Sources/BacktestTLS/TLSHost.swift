import Foundation

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// A name a server certificate is valid for: an IP address or a DNS name (a subject
/// alternative name).
///
/// ```swift
/// let hosts = try TLSHost.parseList("203.0.113.7,10.0.0.2,backtest.example.com")
/// ```
public enum TLSHost: Sendable, Hashable, CustomStringConvertible {
    /// An IPv4 (4 bytes) or IPv6 (16 bytes) address, with its text.
    case ipAddress(String, bytes: [UInt8])
    /// A DNS name (lower-cased), `*.example.com` allowed as the leftmost label.
    case dnsName(String)

    /// Parses one address or name: an IPv4 or IPv6 address (brackets allowed) or a DNS name
    /// of letters, digits, `-` and `.` (at most 253 characters, labels of 1 to 63).
    public init(parsing text: String) throws(TLSError) {
        var value = text.trimmingCharacters(in: CharacterSet(charactersIn: " \t"))
        if value.hasPrefix("["), value.hasSuffix("]") { value = String(value.dropFirst().dropLast()) }
        if let bytes = Self.addressBytes(value) {
            self = .ipAddress(value, bytes: bytes)
            return
        }
        let name = value.lowercased()
        let labels = name.split(separator: ".", omittingEmptySubsequences: false)
        let validLabel: (Substring, Int) -> Bool = { label, index in
            if label == "*" { return index == 0 && labels.count > 2 }
            guard (1...63).contains(label.count), label.first != "-", label.last != "-" else { return false }
            return label.allSatisfy { ("a"..."z").contains($0) || ("0"..."9").contains($0) || $0 == "-" }
        }
        guard !name.isEmpty, name.count <= 253, labels.enumerated().allSatisfy({ validLabel($1, $0) }),
            !(labels.last.map { $0.allSatisfy(\.isNumber) } ?? true)
        else {
            throw TLSError(code: .invalidHost, message: "'\(text)' is neither an IP address nor a DNS name")
        }
        self = .dnsName(name)
    }

    /// Parses a comma-separated list; duplicates are dropped, order kept.
    ///
    /// - Throws: ``TLSError`` `invalid_host` naming the first bad entry, or when the list is empty.
    public static func parseList(_ text: String) throws(TLSError) -> [TLSHost] {
        var hosts: [TLSHost] = []
        for part in text.split(separator: ",", omittingEmptySubsequences: false) {
            guard !part.allSatisfy({ $0 == " " }) else {
                throw TLSError(code: .invalidHost, message: "empty entry in the host list '\(text)'")
            }
            let host = try TLSHost(parsing: String(part))
            if !hosts.contains(host) { hosts.append(host) }
        }
        guard !hosts.isEmpty else { throw TLSError(code: .invalidHost, message: "no host given") }
        return hosts
    }

    /// The address or name as given.
    public var description: String {
        switch self {
        case .ipAddress(let text, _): text
        case .dnsName(let name): name
        }
    }

    /// Whether `text` is an IPv4 or IPv6 address (brackets allowed), not a DNS name.
    public static func isAddress(_ text: String) -> Bool {
        addressBytes(text.hasPrefix("[") && text.hasSuffix("]") ? String(text.dropFirst().dropLast()) : text) != nil
    }

    /// The usual text of an address's bytes (`203.0.113.7`, `::1`); hex bytes for any other length.
    static func text(address bytes: [UInt8]) -> String {
        let family: Int32
        switch bytes.count {
        case 4: family = AF_INET
        case 16: family = AF_INET6
        default: return bytes.map { String($0, radix: 16) }.joined(separator: ":")
        }
        var buffer = [CChar](repeating: 0, count: 64)
        let ok = bytes.withUnsafeBytes { raw in inet_ntop(family, raw.baseAddress, &buffer, socklen_t(buffer.count)) } != nil
        return ok
            ? String(decoding: buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self) : bytes.map(String.init).joined(separator: ".")
    }

    /// The bytes of an IPv4 or IPv6 address, `nil` for anything else.
    static func addressBytes(_ text: String) -> [UInt8]? {
        var v4 = in_addr()
        if inet_pton(AF_INET, text, &v4) == 1 {
            return withUnsafeBytes(of: &v4) { Array($0) }
        }
        var v6 = in6_addr()
        if inet_pton(AF_INET6, text, &v6) == 1 {
            return withUnsafeBytes(of: &v6) { Array($0) }
        }
        return nil
    }
}
