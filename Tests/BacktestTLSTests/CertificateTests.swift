import Crypto
import Foundation
import SwiftASN1
import Testing
import X509

@testable import BacktestTLS

@Suite("private CA and server certificates")
struct CertificateTests {
    static let now = Date(timeIntervalSince1970: 1_800_000_000)

    @Test("a server certificate names its hosts, is signed by the CA and is for TLS servers only")
    func issuesServerCertificates() throws {
        let ca = try CertificateAuthority.create(now: Self.now)
        let hosts = try TLSHost.parseList("203.0.113.7,::1,backtest.example.com")
        let server = try ca.issueServerCertificate(for: hosts, now: Self.now)
        let leaf = server.certificate
        #expect(ca.certificate.publicKey.isValidSignature(leaf.signature, for: leaf))
        #expect(leaf.issuer == ca.certificate.subject)
        #expect(CertificateRefusal.names(of: leaf) == hosts)
        #expect(try leaf.extensions.basicConstraints == .notCertificateAuthority)
        #expect(try leaf.extensions.extendedKeyUsage?.contains(.serverAuth) == true)
        #expect(try ca.certificate.extensions.basicConstraints == .isCertificateAuthority(maxPathLength: 0))
        #expect(leaf.notValidBefore == Self.now - CertificateAuthority.backdating)
        #expect(leaf.notValidAfter == Self.now + CertificateAuthority.serverValidity)
        // PEM round trip, as the files hold them.
        let again = try CertificateAuthority(certificatePEM: try ca.certificatePEM(), keyPEM: ca.keyPEM, origin: "test")
        #expect(again.certificate == ca.certificate)
        #expect(try Certificate(pemEncoded: try server.certificatePEM()) == leaf)
    }

    @Test("a CA key that belongs to another certificate is refused")
    func refusesAMismatchedCAKey() throws {
        let a = try CertificateAuthority.create(now: Self.now)
        let b = try CertificateAuthority.create(now: Self.now)
        #expect(throws: TLSError(code: .invalidPEM, message: "dir: the CA key does not belong to the CA certificate")) {
            try CertificateAuthority(certificatePEM: try a.certificatePEM(), keyPEM: b.keyPEM, origin: "dir")
        }
        #expect(throws: TLSError.self) { try CertificateAuthority(certificatePEM: "nonsense", keyPEM: b.keyPEM, origin: "dir") }
    }

    @Test("cert init writes four files, keys 0600, and keeps an existing CA")
    func directoryKeepsTheCA() throws {
        let folder = NSTemporaryDirectory() + "backtest-tls-\(UUID().uuidString)/tls"
        defer { try? FileManager.default.removeItem(atPath: (folder as NSString).deletingLastPathComponent) }
        let directory = CertificateDirectory(path: folder)
        let first = try directory.initialise(hosts: try TLSHost.parseList("127.0.0.2"), now: Self.now)
        #expect(!first.reusedCA)
        func mode(_ path: String) throws -> Int {
            (try FileManager.default.attributesOfItem(atPath: path)[.posixPermissions] as? Int) ?? -1
        }
        #expect(try mode(directory.caKeyPath) == 0o600)
        #expect(try mode(directory.serverKeyPath) == 0o600)
        #expect(try mode(directory.caCertificatePath) == 0o644)
        let ca = try String(contentsOfFile: directory.caCertificatePath, encoding: .utf8)
        let server = try String(contentsOfFile: directory.serverCertificatePath, encoding: .utf8)

        let second = try directory.initialise(hosts: try TLSHost.parseList("127.0.0.3,127.0.0.1"), now: Self.now)
        #expect(second.reusedCA)
        #expect(try String(contentsOfFile: directory.caCertificatePath, encoding: .utf8) == ca)
        let reissued = try Certificate(pemEncoded: try String(contentsOfFile: directory.serverCertificatePath, encoding: .utf8))
        #expect(try String(contentsOfFile: directory.serverCertificatePath, encoding: .utf8) != server)
        #expect(CertificateRefusal.names(of: reissued).map(\.description) == ["127.0.0.3", "127.0.0.1"])
        #expect(try TrustedCertificates.load(path: directory.caCertificatePath)[0].publicKey.isValidSignature(reissued.signature, for: reissued))

        // Half a CA is refused, naming what is missing, and nothing is written.
        try FileManager.default.removeItem(atPath: directory.caKeyPath)
        #expect(throws: TLSError.self) { try directory.initialise(hosts: try TLSHost.parseList("127.0.0.4"), now: Self.now) }
        #expect(try String(contentsOfFile: directory.serverCertificatePath, encoding: .utf8) == (try reissued.serializeAsPEM().pemString + "\n"))
    }

    @Test("--out that is a file is refused")
    func outMustBeAFolder() throws {
        let file = NSTemporaryDirectory() + "backtest-tls-file-\(UUID().uuidString)"
        #expect(FileManager.default.createFile(atPath: file, contents: Data("x".utf8)))
        defer { try? FileManager.default.removeItem(atPath: file) }
        do {
            _ = try CertificateDirectory(path: file).initialise(hosts: try TLSHost.parseList("127.0.0.1"), now: Self.now)
            Issue.record("a file was accepted as the folder")
        } catch {
            #expect(error.code == .unwritableFile)
            #expect(error.message.contains("is not a folder"))
        }
    }

    @Test("a PEM file of CAs: every certificate read; nonsense and keys refused")
    func trustedCertificates() throws {
        let a = try CertificateAuthority.create(now: Self.now)
        let b = try CertificateAuthority.create(now: Self.now)
        let bundle = try a.certificatePEM() + b.certificatePEM()
        #expect(try TrustedCertificates.parse(bundle, origin: "bundle").count == 2)
        #expect(throws: TLSError.self) { try TrustedCertificates.parse("hello", origin: "x") }
        #expect(throws: TLSError.self) { try TrustedCertificates.parse(a.keyPEM, origin: "x") }
        #expect(throws: TLSError.self) { try TrustedCertificates.load(path: "/nonexistent/ca.pem") }
    }
}

@Suite("why a certificate is refused")
struct CertificateRefusalTests {
    static let now = CertificateTests.now
    static let day: TimeInterval = 86_400

    func server(_ hosts: String, ca: CertificateAuthority, issuedAt: Date = CertificateRefusalTests.now, days: Double = 30) throws -> Certificate {
        try ca.issueServerCertificate(for: try TLSHost.parseList(hosts), now: issuedAt, validity: days * Self.day).certificate
    }

    @Test("expired, not yet valid, another host's, untrusted issuer, expired CA")
    func reasons() throws {
        let ca = try CertificateAuthority.create(now: Self.now)
        let other = try CertificateAuthority.create(now: Self.now)
        func reason(
            _ leaf: Certificate,
            host: String = "127.0.0.1",
            trusted: [Certificate]? = nil,
            at time: Date = Self.now
        ) -> CertificateRefusal.Reason {
            CertificateRefusal.diagnose(leaf: leaf, host: host, trusted: trusted ?? [ca.certificate], now: time).reason
        }
        let old = try server("127.0.0.1", ca: ca, issuedAt: Self.now - 400 * Self.day, days: 365)
        #expect(reason(old) == .expired(old.notValidAfter))
        let future = try server("127.0.0.1", ca: ca, issuedAt: Self.now + 10 * Self.day)
        #expect(reason(future) == .notYetValid(future.notValidBefore))
        #expect(reason(try server("10.1.2.3,vm.example.com", ca: ca)) == .nameMismatch(names: ["10.1.2.3", "vm.example.com"]))
        #expect(reason(try server("127.0.0.1", ca: other)) == .untrustedIssuer(issuer: other.certificate.subject.description))
        #expect(reason(try server("127.0.0.1", ca: ca), trusted: []) == .untrustedIssuer(issuer: ca.certificate.subject.description))
        // A CA certificate that expired, trusted, with the same key as the one that signed.
        let key = P256.Signing.PrivateKey()
        let signing = try CertificateAuthority.create(key: key, now: Self.now - 20 * Self.day, validity: 100 * Self.day)
        let expiredCopy = try CertificateAuthority.create(key: key, now: Self.now - 20 * Self.day, validity: 10 * Self.day)
        let leaf = try server("127.0.0.1", ca: signing, issuedAt: Self.now - 15 * Self.day, days: 100)
        #expect(
            reason(leaf, trusted: [expiredCopy.certificate])
                == .issuerExpired(issuer: expiredCopy.certificate.subject.description, on: expiredCopy.certificate.notValidAfter)
        )
        // A server certificate never outlives its CA.
        let capped = try server("127.0.0.1", ca: expiredCopy, issuedAt: Self.now - 15 * Self.day, days: 100)
        #expect(capped.notValidAfter == expiredCopy.certificate.notValidAfter)
        #expect(CertificateRefusal.diagnose(leaf: nil, host: "h", trusted: [], now: Self.now).reason == .unreadable)
    }

    @Test("one line that names the host and says what to do")
    func messages() throws {
        let ca = try CertificateAuthority.create(now: Self.now)
        let refusal = CertificateRefusal.diagnose(leaf: try server("10.1.2.3", ca: ca), host: "127.0.0.1", trusted: [], now: Self.now)
        #expect(
            refusal.description == "TLS certificate is for 10.1.2.3, not 127.0.0.1 (issue one for 127.0.0.1: backtest cert init --host 127.0.0.1)"
        )
        let untrusted = CertificateRefusal(reason: .untrustedIssuer(issuer: "CN=X"), host: "h").description
        #expect(untrusted.contains("--ca-cert") && !untrusted.contains("\n"))
        #expect(CertificateRefusal(reason: .expired(Self.now), host: "h").description.contains("expired on 2027-01-15"))
    }

    @Test("names match exactly, by address bytes, or by a one-label wildcard")
    func matching() throws {
        let names = try TLSHost.parseList("::1,*.vm.example.com,api.example.com")
        #expect(CertificateRefusal.matches(host: "0:0::1", names: names))
        #expect(CertificateRefusal.matches(host: "[::1]", names: names))
        #expect(CertificateRefusal.matches(host: "a.vm.example.com", names: names))
        #expect(CertificateRefusal.matches(host: "API.example.com", names: names))
        #expect(!CertificateRefusal.matches(host: "a.b.vm.example.com", names: names))
        #expect(!CertificateRefusal.matches(host: "vm.example.com", names: names))
        #expect(!CertificateRefusal.matches(host: "127.0.0.1", names: names))
    }
}
