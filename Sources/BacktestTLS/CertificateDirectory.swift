import Foundation
import X509

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// A folder of TLS files, as `backtest cert init` writes it:
///
/// | file | mode | goes to |
/// |---|---|---|
/// | `ca.pem` | 0644 | every client (`--ca-cert`, `BACKTEST_CA_CERT`, config `ca_cert`) |
/// | `ca-key.pem` | 0600 | stays here: it signs the next server certificate |
/// | `server.pem` | 0644 | the server, `--tls-cert` |
/// | `server-key.pem` | 0600 | the server, `--tls-key` |
///
/// An existing CA (`ca.pem` and `ca-key.pem`) is kept, so issuing again for new addresses
/// (a VM whose IP changed) does not break the clients that trust it.
///
/// ```swift
/// let outcome = try CertificateDirectory(path: "tls").initialise(hosts: TLSHost.parseList("127.0.0.1"), now: Date())
/// ```
public struct CertificateDirectory: Sendable {
    /// The folder.
    public let path: String

    /// Creates a handle on the folder `path` (nothing is read or written yet).
    public init(path: String) {
        self.path = path
    }

    /// The CA certificate, for clients.
    public var caCertificatePath: String { file("ca.pem") }
    /// The CA key, kept beside it.
    public var caKeyPath: String { file("ca-key.pem") }
    /// The server certificate, for `--tls-cert`.
    public var serverCertificatePath: String { file("server.pem") }
    /// The server key, for `--tls-key`.
    public var serverKeyPath: String { file("server-key.pem") }

    /// What ``initialise(hosts:now:)`` did.
    public struct Outcome: Sendable {
        /// Whether an existing CA was used (otherwise a new one was made).
        public var reusedCA: Bool
        /// The names the server certificate is valid for.
        public var hosts: [TLSHost]
        /// When the server certificate expires.
        public var serverExpiry: Date
        /// When the CA certificate expires.
        public var caExpiry: Date
    }

    /// Makes the folder (when missing), reuses or makes the CA, and issues a server
    /// certificate for `hosts`. Keys are written with mode 0600, certificates 0644; each
    /// file is written whole (a temporary file renamed over it).
    ///
    /// - Throws: ``TLSError``: `unwritable_file`, `invalid_pem` (an existing CA that cannot be
    ///   read, or half of one), `signing`.
    public func initialise(hosts: [TLSHost], now: Date) throws(TLSError) -> Outcome {
        try makeFolder()
        let fm = FileManager.default
        let hasCertificate = fm.fileExists(atPath: caCertificatePath)
        let hasKey = fm.fileExists(atPath: caKeyPath)
        let authority: CertificateAuthority
        switch (hasCertificate, hasKey) {
        case (true, true):
            authority = try CertificateAuthority(
                certificatePEM: try Self.read(caCertificatePath),
                keyPEM: try Self.read(caKeyPath),
                origin: path
            )
        case (false, false):
            authority = try CertificateAuthority.create(now: now)
        case (true, false), (false, true):
            let (has, lacks) = hasCertificate ? ("ca.pem", "ca-key.pem") : ("ca-key.pem", "ca.pem")
            throw TLSError(
                code: .invalidPEM,
                message: "\(path) has \(has) but no \(lacks): restore it, or remove \(has) to make a new CA (clients must then fetch ca.pem again)"
            )
        }
        let server = try authority.issueServerCertificate(for: hosts, now: now)
        if !(hasCertificate && hasKey) {
            try Self.write(authority.keyPEM, to: caKeyPath, mode: 0o600)
            try Self.write(try authority.certificatePEM(), to: caCertificatePath, mode: 0o644)
        }
        try Self.write(server.keyPEM, to: serverKeyPath, mode: 0o600)
        try Self.write(try server.certificatePEM(), to: serverCertificatePath, mode: 0o644)
        return Outcome(
            reusedCA: hasCertificate && hasKey,
            hosts: hosts,
            serverExpiry: server.certificate.notValidAfter,
            caExpiry: authority.certificate.notValidAfter
        )
    }

    private func file(_ name: String) -> String {
        (path as NSString).appendingPathComponent(name)
    }

    private func makeFolder() throws(TLSError) {
        var isDirectory: ObjCBool = false
        if FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) {
            guard isDirectory.boolValue else { throw TLSError(code: .unwritableFile, message: "\(path) exists and is not a folder") }
            return
        }
        do {
            try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
        } catch {
            throw TLSError(code: .unwritableFile, message: "cannot make the folder \(path): \(error.localizedDescription)")
        }
    }

    /// Reads a text file.
    static func read(_ path: String) throws(TLSError) -> String {
        guard let data = FileManager.default.contents(atPath: path) else {
            throw TLSError(code: .unreadableFile, message: "cannot read \(path)")
        }
        return String(decoding: data, as: UTF8.self)
    }

    /// Writes `text` to `path` with `mode` from the first byte: a temporary file beside it,
    /// created with that mode, then renamed over `path`.
    static func write(_ text: String, to path: String, mode: mode_t) throws(TLSError) {
        let temporary = path + ".tmp-\(getpid())"
        let fd = open(temporary, O_WRONLY | O_CREAT | O_TRUNC, mode)
        guard fd >= 0 else {
            throw TLSError(code: .unwritableFile, message: "cannot write \(path): \(String(cString: strerror(errno)))")
        }
        let bytes = Array(text.utf8)
        var written = 0
        var failure: Int32 = 0
        while written < bytes.count {
            let n = bytes[written...].withUnsafeBytes { systemWrite(fd, $0.baseAddress, $0.count) }
            if n < 0 {
                if errno == EINTR { continue }
                failure = errno
                break
            }
            written += n
        }
        // The mode from open() is masked by the umask; set it exactly.
        if failure == 0, fchmod(fd, mode) != 0 { failure = errno }
        if failure == 0, fsync(fd) != 0 { failure = errno }
        close(fd)
        if failure == 0, rename(temporary, path) != 0 { failure = errno }
        if failure != 0 {
            unlink(temporary)
            throw TLSError(code: .unwritableFile, message: "cannot write \(path): \(String(cString: strerror(failure)))")
        }
    }
}

#if canImport(Glibc)
private let systemWrite = Glibc.write
#elseif canImport(Musl)
private let systemWrite = Musl.write
#elseif canImport(Darwin)
private let systemWrite = Darwin.write
#endif
