import Foundation
import SwiftASN1
import X509

/// The CA certificates a client trusts besides the system's: every certificate of a PEM file
/// (one CA, or a bundle).
///
/// ```swift
/// let roots = try TrustedCertificates.load(path: "ca.pem")
/// ```
public enum TrustedCertificates {
    /// Reads every `CERTIFICATE` block of the PEM file at `path`.
    ///
    /// - Throws: ``TLSError`` `unreadable_file` or `invalid_pem` (no certificate, or one that
    ///   does not parse), naming the file.
    public static func load(path: String) throws(TLSError) -> [Certificate] {
        guard let data = FileManager.default.contents(atPath: path) else {
            throw TLSError(code: .unreadableFile, message: "cannot read the CA certificate \(path)")
        }
        return try parse(String(decoding: data, as: UTF8.self), origin: path)
    }

    /// Reads every `CERTIFICATE` block of `pem`; `origin` names it in errors.
    public static func parse(_ pem: String, origin: String) throws(TLSError) -> [Certificate] {
        let documents: [PEMDocument]
        do {
            documents = try PEMDocument.parseMultiple(pemString: pem)
        } catch {
            throw TLSError(code: .invalidPEM, message: "\(origin) is not a PEM file of CA certificates")
        }
        var certificates: [Certificate] = []
        for document in documents where document.discriminator == "CERTIFICATE" {
            do {
                certificates.append(try Certificate(pemDocument: document))
            } catch {
                throw TLSError(code: .invalidPEM, message: "\(origin): certificate \(certificates.count + 1) does not parse")
            }
        }
        guard !certificates.isEmpty else {
            throw TLSError(code: .invalidPEM, message: "\(origin) holds no PEM certificate")
        }
        return certificates
    }
}

extension Certificate {
    /// The certificate's DER bytes (for TLS libraries that take DER).
    public var derBytes: [UInt8]? {
        var serializer = DER.Serializer()
        guard (try? serializer.serialize(self)) != nil else { return nil }
        return serializer.serializedBytes
    }
}
