import Crypto
import Foundation
import SwiftASN1
import X509

/// A private certificate authority: a self-signed CA certificate and its P-256 key, which
/// issues server certificates for IP addresses and DNS names. Pure: the time is passed in,
/// nothing is read or written.
///
/// ```swift
/// let ca = try CertificateAuthority.create(now: Date())
/// let server = try ca.issueServerCertificate(for: TLSHost.parseList("127.0.0.1"), now: Date())
/// let pem = try server.certificatePEM()
/// ```
public struct CertificateAuthority: Sendable {
    /// The CA certificate (clients trust it).
    public let certificate: Certificate
    /// The CA's signing key.
    public let privateKey: P256.Signing.PrivateKey

    /// How long a new CA certificate is valid: 10 years.
    public static let validity: TimeInterval = 10 * 365 * 86_400
    /// How long a server certificate is valid: 825 days (the longest Apple's clients accept).
    public static let serverValidity: TimeInterval = 825 * 86_400
    /// Certificates start this long before `now`, so a client whose clock is slightly behind
    /// accepts them: 1 hour.
    public static let backdating: TimeInterval = 3_600

    /// Uses an existing CA.
    public init(certificate: Certificate, privateKey: P256.Signing.PrivateKey) {
        self.certificate = certificate
        self.privateKey = privateKey
    }

    /// Reads a CA from its PEM certificate and PEM key (PKCS#8 or SEC1 P-256).
    ///
    /// - Throws: ``TLSError`` `invalid_pem` naming `origin` when either is not what it should
    ///   be, or when the key does not belong to the certificate.
    public init(certificatePEM: String, keyPEM: String, origin: String) throws(TLSError) {
        let certificate: Certificate
        do {
            certificate = try Certificate(pemEncoded: certificatePEM)
        } catch {
            throw TLSError(code: .invalidPEM, message: "\(origin): the CA certificate is not a PEM certificate")
        }
        let key: P256.Signing.PrivateKey
        do {
            key = try P256.Signing.PrivateKey(pemRepresentation: keyPEM)
        } catch {
            throw TLSError(code: .invalidPEM, message: "\(origin): the CA key is not a PEM P-256 private key")
        }
        guard certificate.publicKey == Certificate.PublicKey(key.publicKey) else {
            throw TLSError(code: .invalidPEM, message: "\(origin): the CA key does not belong to the CA certificate")
        }
        self.init(certificate: certificate, privateKey: key)
    }

    /// Makes a new CA, valid from `now` (less ``backdating``) for `validity` seconds, with a
    /// new key unless one is given.
    public static func create(
        commonName: String = "Backtest private CA",
        key: P256.Signing.PrivateKey = P256.Signing.PrivateKey(),
        now: Date,
        validity: TimeInterval = CertificateAuthority.validity
    ) throws(TLSError) -> CertificateAuthority {
        do {
            let name = try DistinguishedName {
                OrganizationName("Backtest")
                CommonName(commonName)
            }
            let publicKey = Certificate.PublicKey(key.publicKey)
            let extensions = try Certificate.Extensions {
                Critical(BasicConstraints.isCertificateAuthority(maxPathLength: 0))
                Critical(KeyUsage(keyCertSign: true, cRLSign: true))
                SubjectKeyIdentifier(hash: publicKey)
            }
            let certificate = try Certificate(
                version: .v3,
                serialNumber: Certificate.SerialNumber(),
                publicKey: publicKey,
                notValidBefore: now - backdating,
                notValidAfter: now + validity,
                issuer: name,
                subject: name,
                signatureAlgorithm: .ecdsaWithSHA256,
                extensions: extensions,
                issuerPrivateKey: Certificate.PrivateKey(key)
            )
            return CertificateAuthority(certificate: certificate, privateKey: key)
        } catch {
            throw TLSError(code: .signing, message: "cannot make the CA certificate: \(error)")
        }
    }

    /// Issues a server certificate (a new P-256 key) whose subject alternative names are
    /// `hosts`, valid from `now` (less ``backdating``) for `validity` seconds but not beyond
    /// the CA's own validity, for TLS server authentication only.
    public func issueServerCertificate(
        for hosts: [TLSHost],
        now: Date,
        validity: TimeInterval = CertificateAuthority.serverValidity
    ) throws(TLSError) -> IssuedCertificate {
        guard let first = hosts.first else { throw TLSError(code: .invalidHost, message: "no host given") }
        let key = P256.Signing.PrivateKey()
        do {
            let subject = try DistinguishedName {
                OrganizationName("Backtest")
                CommonName(first.description)
            }
            let names: [GeneralName] = hosts.map { host in
                switch host {
                case .ipAddress(_, let bytes): .ipAddress(ASN1OctetString(contentBytes: ArraySlice(bytes)))
                case .dnsName(let name): .dnsName(name)
                }
            }
            let publicKey = Certificate.PublicKey(key.publicKey)
            let authorityKey = try certificate.extensions.subjectKeyIdentifier?.keyIdentifier
            let extensions = try Certificate.Extensions {
                Critical(BasicConstraints.notCertificateAuthority)
                Critical(KeyUsage(digitalSignature: true))
                try ExtendedKeyUsage([.serverAuth])
                SubjectAlternativeNames(names)
                SubjectKeyIdentifier(hash: publicKey)
                if let authorityKey { AuthorityKeyIdentifier(keyIdentifier: authorityKey) }
            }
            let notAfter = min(now + validity, certificate.notValidAfter)
            let issued = try Certificate(
                version: .v3,
                serialNumber: Certificate.SerialNumber(),
                publicKey: publicKey,
                notValidBefore: now - Self.backdating,
                notValidAfter: notAfter,
                issuer: certificate.subject,
                subject: subject,
                signatureAlgorithm: .ecdsaWithSHA256,
                extensions: extensions,
                issuerPrivateKey: Certificate.PrivateKey(privateKey)
            )
            return IssuedCertificate(certificate: issued, privateKey: key)
        } catch {
            throw TLSError(code: .signing, message: "cannot issue the server certificate: \(error)")
        }
    }

    /// The CA certificate in PEM.
    public func certificatePEM() throws(TLSError) -> String {
        try IssuedCertificate.pem(certificate)
    }

    /// The CA key in PEM (PKCS#8).
    public var keyPEM: String { privateKey.pemRepresentation + "\n" }
}

/// A certificate and its private key.
public struct IssuedCertificate: Sendable {
    /// The certificate.
    public let certificate: Certificate
    /// Its private key.
    public let privateKey: P256.Signing.PrivateKey

    /// The certificate in PEM.
    public func certificatePEM() throws(TLSError) -> String {
        try Self.pem(certificate)
    }

    /// The key in PEM (PKCS#8).
    public var keyPEM: String { privateKey.pemRepresentation + "\n" }

    static func pem(_ certificate: Certificate) throws(TLSError) -> String {
        do {
            return try certificate.serializeAsPEM().pemString + "\n"
        } catch {
            throw TLSError(code: .signing, message: "cannot encode the certificate: \(error)")
        }
    }
}
