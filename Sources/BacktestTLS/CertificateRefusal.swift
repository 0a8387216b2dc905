import Foundation
import SwiftASN1
import X509

/// Why a client refused a server's certificate, in a person's words: expired, not yet
/// valid, issued for other names, or issued by a CA the client does not trust.
///
/// Pure: the certificate, the host and the time are passed in.
///
/// ```swift
/// let refusal = CertificateRefusal.diagnose(leaf: certificate, host: "203.0.113.7", trusted: [ca], now: Date())
/// print(refusal)   // certificate expired on 2026-01-31 (…)
/// ```
public struct CertificateRefusal: Sendable, Equatable, CustomStringConvertible {
    /// The reasons, most specific first.
    public enum Reason: Sendable, Equatable {
        /// The certificate's validity ended at this date.
        case expired(Date)
        /// The certificate's validity starts at this date.
        case notYetValid(Date)
        /// The certificate names other hosts (its subject alternative names).
        case nameMismatch(names: [String])
        /// Signed by a CA that is not among the trusted ones (its subject).
        case untrustedIssuer(issuer: String)
        /// The CA that issued it expired.
        case issuerExpired(issuer: String, on: Date)
        /// The server sent no certificate the client could read.
        case unreadable
    }

    /// Why.
    public var reason: Reason
    /// The host the client asked for.
    public var host: String

    /// Creates a refusal.
    public init(reason: Reason, host: String) {
        self.reason = reason
        self.host = host
    }

    /// Finds why `leaf` is not acceptable for `host` at `now`, checking in this order:
    /// validity dates, the names, then the issuer against `trusted` (the private CAs the
    /// client was given; a certificate from any other issuer counts as untrusted, since the
    /// system's roots refused it already).
    public static func diagnose(leaf: Certificate?, host: String, trusted: [Certificate], now: Date) -> CertificateRefusal {
        guard let leaf else { return CertificateRefusal(reason: .unreadable, host: host) }
        if now > leaf.notValidAfter { return CertificateRefusal(reason: .expired(leaf.notValidAfter), host: host) }
        if now < leaf.notValidBefore { return CertificateRefusal(reason: .notYetValid(leaf.notValidBefore), host: host) }
        let names = Self.names(of: leaf)
        if !Self.matches(host: host, names: names) {
            return CertificateRefusal(reason: .nameMismatch(names: names.map(\.description)), host: host)
        }
        let issuer = leaf.issuer.description
        if let ca = trusted.first(where: { $0.subject == leaf.issuer && $0.publicKey.isValidSignature(leaf.signature, for: leaf) }),
            now > ca.notValidAfter
        {
            return CertificateRefusal(reason: .issuerExpired(issuer: issuer, on: ca.notValidAfter), host: host)
        }
        return CertificateRefusal(reason: .untrustedIssuer(issuer: issuer), host: host)
    }

    /// `certificate of HOST not trusted: REASON`, one line.
    public var description: String {
        switch reason {
        case .expired(let date):
            "TLS certificate of \(host) expired on \(Self.day(date)) (issue a new one: backtest cert init)"
        case .notYetValid(let date):
            "TLS certificate of \(host) is not valid before \(Self.day(date)) (is this machine's clock right?)"
        case .nameMismatch(let names):
            "TLS certificate is for \(names.isEmpty ? "no host" : names.joined(separator: ", ")), not \(host) (issue one for \(host): backtest cert init --host \(host))"
        case .untrustedIssuer(let issuer):
            "TLS certificate of \(host) has an untrusted issuer (\(issuer)); trust its CA with --ca-cert FILE, BACKTEST_CA_CERT or config ca_cert"
        case .issuerExpired(let issuer, let date):
            "TLS certificate of \(host) was issued by a CA that expired on \(Self.day(date)) (\(issuer))"
        case .unreadable:
            "TLS certificate of \(host) not trusted"
        }
    }

    /// The subject alternative names (DNS names and IP addresses) of a certificate.
    static func names(of certificate: Certificate) -> [TLSHost] {
        guard let alternatives = try? certificate.extensions.subjectAlternativeNames else { return [] }
        return alternatives.compactMap { name in
            switch name {
            case .dnsName(let dns): return .dnsName(dns.lowercased())
            case .ipAddress(let octets):
                let bytes = Array(octets.bytes)
                return .ipAddress(TLSHost.text(address: bytes), bytes: bytes)
            default: return nil
            }
        }
    }

    /// Whether `host` (an IP address or DNS name) is one of `names`; `*.example.com` matches
    /// one leftmost label.
    static func matches(host: String, names: [TLSHost]) -> Bool {
        if let bytes = TLSHost.addressBytes(host.hasPrefix("[") ? String(host.dropFirst().dropLast()) : host) {
            return names.contains { if case .ipAddress(_, let b) = $0 { b == bytes } else { false } }
        }
        let wanted = host.lowercased()
        return names.contains { name in
            guard case .dnsName(let pattern) = name else { return false }
            if pattern == wanted { return true }
            guard pattern.hasPrefix("*."), let dot = wanted.firstIndex(of: ".") else { return false }
            return wanted[dot...] == pattern.dropFirst()
        }
    }

    private static func day(_ date: Date) -> String {
        let formatter = ISO8601DateFormatter()
        formatter.formatOptions = [.withFullDate]
        return formatter.string(from: date)
    }
}
