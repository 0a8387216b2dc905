import BacktestAPI
import BacktestClient
import BacktestServer
import BacktestTLS
import Foundation
import Testing

/// The client against the real server with TLS on 127.0.0.1: a private CA trusted, and every
/// way a certificate can be refused, each on one line and never retried.
@Suite(.serialized) struct TLSTests {
    static let six = ["AAPL", "AMZN", "GOOG", "META", "MSFT", "NVDA"]

    /// A folder with a CA and a server certificate for `hosts`, issued at `issuedAt`.
    struct Certificates {
        let folder: TemporaryFolder
        let directory: CertificateDirectory
        var files: BacktestServer.Configuration.TLSFiles {
            .init(certificatePath: directory.serverCertificatePath, privateKeyPath: directory.serverKeyPath)
        }
        var ca: String { directory.caCertificatePath }

        init(hosts: String = "127.0.0.1,localhost", issuedAt: Date = Date(), validity: TimeInterval? = nil) throws {
            folder = try TemporaryFolder()
            directory = CertificateDirectory(path: folder.path + "/tls")
            _ = try directory.initialise(hosts: try TLSHost.parseList("127.0.0.1"), now: Date())
            let ca = try CertificateAuthority(
                certificatePEM: try String(contentsOfFile: directory.caCertificatePath, encoding: .utf8),
                keyPEM: try String(contentsOfFile: directory.caKeyPath, encoding: .utf8),
                origin: "test"
            )
            let issued = try ca.issueServerCertificate(
                for: try TLSHost.parseList(hosts),
                now: issuedAt,
                validity: validity ?? CertificateAuthority.serverValidity
            )
            try issued.certificatePEM().write(toFile: directory.serverCertificatePath, atomically: true, encoding: .utf8)
            try issued.keyPEM.write(toFile: directory.serverKeyPath, atomically: true, encoding: .utf8)
        }
    }

    /// Runs `body` with a TLS server using `certificates`.
    func withServer<R>(_ certificates: Certificates, apiKeys: [String] = [], _ body: (RealServer) async throws -> R) async throws -> R {
        let server = try await RealServer(apiKeys: apiKeys, tls: certificates.files)
        do {
            let r = try await body(server)
            await server.stop()
            return r
        } catch {
            await server.stop()
            throw error
        }
    }

    /// A client of `url` trusting `ca`, counting the waits between retries.
    func client(_ url: String, ca: String?, key: String? = nil, sleeps: LockedBox<Int>) -> BacktestClient.Configuration {
        var configuration = BacktestClient.Configuration(
            resolution: EndpointResolver.Inputs(servers: url, apiKey: key, caCertificate: ca, environment: [:], configPath: "/nonexistent")
        )
        configuration.sleep = { _ in sleeps.withLock { $0 += 1 } }
        return configuration
    }

    func requests() -> [BacktestRequest] {
        Self.six.map { BacktestRequest(ticker: $0, start: "2020-01-01", end: "2020-12-31", strategy: "sma_cross") }
    }

    @Test("with the CA trusted, a six-ticker batch over https returns six results")
    func batchOverTLS() async throws {
        let certificates = try Certificates()
        defer { certificates.folder.remove() }
        try await withServer(certificates, apiKeys: ["k-0123456789"]) { server in
            #expect(server.url.hasPrefix("https://127.0.0.1:"))
            let sleeps = LockedBox(0)
            let results = try await BacktestClient.withClient(
                configuration: client(server.url, ca: certificates.ca, key: "k-0123456789", sleeps: sleeps)
            ) {
                await $0.runBatch(requests())
            }
            #expect(results.count == 6)
            for result in results { #expect((try? result.get()) != nil, "\(result)") }
        }
    }

    @Test("without the CA: refused at once, untrusted issuer named, no retry")
    func untrustedIssuer() async throws {
        let certificates = try Certificates()
        defer { certificates.folder.remove() }
        try await withServer(certificates) { server in
            let sleeps = LockedBox(0)
            let started = ContinuousClock.now
            let error = await #expect(throws: BacktestClientError.self) {
                try await BacktestClient.withClient(configuration: client(server.url, ca: nil, sleeps: sleeps)) {
                    try await $0.health()
                }
            }
            #expect(ContinuousClock.now - started < .seconds(2))
            #expect(error?.code == .certificateRejected)
            #expect(error?.message.contains("untrusted issuer (CN=Backtest private CA,O=Backtest)") == true, "\(String(describing: error))")
            #expect(error?.message.contains(server.url) == true)
            #expect(error?.message.contains("\n") == false)
            #expect(sleeps.withLock { $0 } == 0)
        }
    }

    @Test("a certificate for another host, and an expired one, each named")
    func otherHostAndExpired() async throws {
        let otherHost = try Certificates(hosts: "10.1.2.3")
        defer { otherHost.folder.remove() }
        try await withServer(otherHost) { server in
            let error = await #expect(throws: BacktestClientError.self) {
                try await BacktestClient.withClient(configuration: client(server.url, ca: otherHost.ca, sleeps: LockedBox(0))) {
                    try await $0.health()
                }
            }
            #expect(error?.code == .certificateRejected)
            #expect(error?.message.contains("TLS certificate is for 10.1.2.3, not 127.0.0.1") == true, "\(String(describing: error))")
        }
        let expired = try Certificates(issuedAt: Date() - 10 * 86_400, validity: 86_400)
        defer { expired.folder.remove() }
        try await withServer(expired) { server in
            let error = await #expect(throws: BacktestClientError.self) {
                try await BacktestClient.withClient(configuration: client(server.url, ca: expired.ca, sleeps: LockedBox(0))) { try await $0.health() }
            }
            #expect(error?.code == .certificateRejected)
            #expect(error?.message.contains("TLS certificate of 127.0.0.1 expired on") == true, "\(String(describing: error))")
        }
    }

    @Test("plain http:// to the TLS port, and https:// to a plain port, fail clearly")
    func wrongScheme() async throws {
        let certificates = try Certificates()
        defer { certificates.folder.remove() }
        try await withServer(certificates) { server in
            let plain = server.url.replacingOccurrences(of: "https://", with: "http://")
            let error = await #expect(throws: BacktestClientError.self) {
                try await BacktestClient.withClient(configuration: client(plain, ca: nil, sleeps: LockedBox(0))) { try await $0.health() }
            }
            #expect(error?.message.contains("if it serves HTTPS, use https://") == true, "\(String(describing: error))")
        }
        try await RealServer.with { server in
            let tls = server.url.replacingOccurrences(of: "http://", with: "https://")
            let sleeps = LockedBox(0)
            let error = await #expect(throws: BacktestClientError.self) {
                try await BacktestClient.withClient(configuration: client(tls, ca: nil, sleeps: sleeps)) { try await $0.health() }
            }
            #expect(error?.code == .tlsFailed)
            #expect(error?.message.contains("does not speak TLS") == true, "\(String(describing: error))")
            #expect(sleeps.withLock { $0 } == 0)
        }
    }

    @Test("a CA file that is not one is refused before any request")
    func invalidCAFile() async throws {
        let folder = try TemporaryFolder()
        defer { folder.remove() }
        let bad = try folder.write("ca.pem", "not a certificate")
        let error = await #expect(throws: BacktestClientError.self) {
            try await BacktestClient.withClient(configuration: client("https://127.0.0.1:1", ca: bad, sleeps: LockedBox(0))) { try await $0.health() }
        }
        #expect(error?.code == .caCertificateInvalid)
        #expect(error?.message.contains(bad) == true)
    }
}
