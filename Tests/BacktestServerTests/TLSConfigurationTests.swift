import BacktestServer
import BacktestTLS
import Foundation
import Testing

/// What `serve` checks before it listens with TLS: a non-loopback address needs TLS (or
/// `--no-tls`), and the certificate and key must be readable PEM that belong together.
@Suite struct TLSConfigurationTests {
    /// A folder with `cert init`'s four files for 127.0.0.1.
    static func certificates() throws -> (folder: String, directory: CertificateDirectory) {
        let folder = TestScratch.path("backtest-server-tls")
        let directory = CertificateDirectory(path: folder)
        _ = try directory.initialise(hosts: try TLSHost.parseList("127.0.0.1"), now: Date())
        return (folder, directory)
    }

    @Test("a public address with keys but no TLS is refused unless --no-tls")
    func publicAddressNeedsTLS() throws {
        let refused = #expect(throws: ServerError.self) {
            _ = try BacktestServer(configuration: .init(host: "0.0.0.0", port: 0, apiKeys: ["k"]))
        }
        #expect(refused?.code == .tlsRequired)
        #expect(refused?.message.contains("--tls-cert") == true)
        #expect(refused?.message.contains("--no-tls") == true)
        let (folder, directory) = try Self.certificates()
        defer { try? FileManager.default.removeItem(atPath: folder) }
        var configuration = BacktestServer.Configuration(host: "0.0.0.0", port: 0, apiKeys: ["k"])
        configuration.tls = .init(certificatePath: directory.serverCertificatePath, privateKeyPath: directory.serverKeyPath)
        let server = try BacktestServer(configuration: configuration)
        #expect(server.configuration.scheme == "https")
    }

    @Test("unreadable, non-PEM and mismatched files are refused, naming the file")
    func badFiles() throws {
        let (folder, directory) = try Self.certificates()
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let garbage = folder + "/garbage.pem"
        try Data("not pem".utf8).write(to: URL(fileURLWithPath: garbage))
        let other = CertificateDirectory(path: folder + "/other")
        _ = try other.initialise(hosts: try TLSHost.parseList("127.0.0.1"), now: Date())
        let cases: [(String, String, String)] = [
            (folder + "/missing.pem", directory.serverKeyPath, "cannot read the TLS certificate --tls-cert \(folder)/missing.pem"),
            (directory.serverCertificatePath, folder + "/missing.pem", "cannot read the TLS key --tls-key \(folder)/missing.pem"),
            (garbage, directory.serverKeyPath, "--tls-cert \(garbage) holds no PEM certificate"),
            (directory.serverCertificatePath, garbage, "--tls-key \(garbage) holds no PEM private key"),
            (directory.serverCertificatePath, other.serverKeyPath, "does not belong to the certificate"),
        ]
        for (certificate, key, message) in cases {
            var configuration = BacktestServer.Configuration(port: 0)
            configuration.tls = .init(certificatePath: certificate, privateKeyPath: key)
            let error = #expect(throws: ServerError.self) { _ = try BacktestServer(configuration: configuration) }
            #expect(error?.code == .tls)
            #expect(error?.message.contains(message) == true, "\(String(describing: error))")
        }
    }

    @Test("a key file the owner may only read (0400, as systemd's credentials) is accepted")
    func readOnlyKey() throws {
        let (folder, directory) = try Self.certificates()
        defer { try? FileManager.default.removeItem(atPath: folder) }
        try FileManager.default.setAttributes([.posixPermissions: 0o400], ofItemAtPath: directory.serverKeyPath)
        var configuration = BacktestServer.Configuration(port: 0)
        configuration.tls = .init(certificatePath: directory.serverCertificatePath, privateKeyPath: directory.serverKeyPath)
        _ = try BacktestServer(configuration: configuration)
    }
}
