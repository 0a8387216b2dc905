import BacktestAPI
import BacktestClient
import BacktestTLS
import Foundation
import Testing

@Suite struct EndpointResolverTests {
    /// A probe that answers for the given endpoints only, recording what it was asked.
    final class Probe: @unchecked Sendable {
        let healthy: Set<Endpoint>
        let asked = LockedBox<[Endpoint]>([])
        init(_ healthy: Set<Endpoint>) { self.healthy = healthy }
        var function: @Sendable (Endpoint) async -> Bool {
            { [self] e in
                asked.withLock { $0.append(e) }
                return healthy.contains(e)
            }
        }
    }

    static let local = Endpoint(host: "127.0.0.1", port: 8000)
    static let vm = Endpoint(host: "127.0.0.1", port: 8000)

    func resolve(
        servers: String? = nil,
        env: [String: String] = [:],
        config: String? = nil,
        healthy: Set<Endpoint> = [],
        discovery: @escaping @Sendable (String, Double) async throws -> String = { _, _ in "" }
    ) async throws -> EndpointResolver.Resolution {
        let folder = try TemporaryFolder()
        defer { folder.remove() }
        var env = env
        env["XDG_CONFIG_HOME"] = folder.path
        if let config { try folder.write("backtest/config.json", config) }
        let inputs = EndpointResolver.Inputs(servers: servers, environment: env, runDiscovery: discovery)
        return try await EndpointResolver(inputs: inputs, probe: Probe(healthy).function).resolve()
    }

    @Test func explicitWinsOverEverything() async throws {
        let r = try await resolve(
            servers: "http://a:1,http://b:2",
            env: ["BACKTEST_URL": "http://env:3", "BACKTEST_DISCOVER": "x"],
            config: #"{"server": "http://cfg:4"}"#,
            healthy: [Self.local]
        )
        #expect(r.source == .explicit)
        #expect(r.endpoints.map(\.url) == ["http://a:1", "http://b:2"])
    }

    @Test func environmentAlone() async throws {
        let r = try await resolve(env: ["BACKTEST_URL": "env:3"])
        #expect(r.source == .environment)
        #expect(r.endpoints.map(\.url) == ["http://env:3"])
        #expect(r.reason.contains("BACKTEST_URL"))
    }

    @Test func environmentWinsOverConfigAndDiscovery() async throws {
        let r = try await resolve(env: ["BACKTEST_URL": "env:3", "BACKTEST_DISCOVER": "x"], config: #"{"server": "cfg:4"}"#)
        #expect(r.source == .environment)
    }

    @Test func configFileAloneWithListAndKey() async throws {
        let r = try await resolve(config: #"{"server": ["cfg:4", "cfg:5"], "api_key": "k1"}"#)
        #expect(r.source == .configFile)
        #expect(r.endpoints.map(\.port) == [4, 5])
        #expect(r.apiKey == "k1")
    }

    @Test func apiKeyPrecedence() async throws {
        let r = try await resolve(env: ["BACKTEST_URL": "a:1", "BACKTEST_API_KEY": "env"], config: #"{"api_key": "cfg"}"#)
        #expect(r.apiKey == "env")
        #expect(r.apiKeySource == "BACKTEST_API_KEY")
        let inputs = EndpointResolver.Inputs(servers: "a:1", apiKey: "flag", environment: ["BACKTEST_API_KEY": "env"])
        let r2 = try await EndpointResolver(inputs: inputs, probe: { _ in false }).resolve()
        #expect(r2.apiKey == "flag")
    }

    @Test func discoveryFromEnvironmentIsConfirmedWithHealth() async throws {
        let r = try await resolve(
            env: ["BACKTEST_DISCOVER": "show-ip", "BACKTEST_DISCOVER_PORT": "9100"],
            healthy: [Endpoint(host: "35.1.2.3", port: 9100)],
            discovery: { command, _ in command == "show-ip" ? "External IP: 35.1.2.3\n" : "" }
        )
        #expect(r.source == .discovery)
        #expect(r.endpoints == [Endpoint(host: "35.1.2.3", port: 9100)])
        #expect(r.discoveryCommand == "show-ip")
    }

    @Test func discoveryFromConfigFile() async throws {
        let r = try await resolve(
            config: #"{"discover": "cfg-ip"}"#,
            healthy: [Endpoint(host: "10.9.9.9", port: 8000)],
            discovery: { command, _ in command == "cfg-ip" ? "10.9.9.9" : "" }
        )
        #expect(r.source == .discovery)
    }

    @Test func discoveredServerThatDoesNotAnswerFallsBackToLocal() async throws {
        let r = try await resolve(
            env: ["BACKTEST_DISCOVER": "x"],
            healthy: [Self.local],
            discovery: { _, _ in "External IP: 35.1.2.3" }
        )
        #expect(r.source == .localDefault)
        #expect(r.skipped.contains { $0.contains("35.1.2.3") && $0.contains("does not answer") })
    }

    @Test func garbageDiscoveryFallsBackToLocal() async throws {
        let r = try await resolve(env: ["BACKTEST_DISCOVER": "x"], healthy: [Self.local], discovery: { _, _ in "ERROR: no such VM" })
        #expect(r.source == .localDefault)
        #expect(r.skipped.contains { $0.contains("no IP address") })
    }

    @Test func localDefaultAlone() async throws {
        let r = try await resolve(healthy: [Self.local])
        #expect(r.source == .localDefault)
        #expect(r.endpoints == [Self.local])
    }

    @Test func nothingFoundExplainsEveryStep() async throws {
        let error = await #expect(throws: BacktestClientError.self) { try await resolve() }
        #expect(error?.code == .noEndpoint)
        #expect(error?.message.contains("BACKTEST_URL: not set") == true)
        #expect(error?.message.contains("127.0.0.1:8000") == true)
    }

    @Test func malformedInputsAreErrorsNotFallbacks() async throws {
        await #expect(throws: BacktestClientError.self) { try await resolve(env: ["BACKTEST_URL": "ftp://x"]) }
        let error = await #expect(throws: BacktestClientError.self) { try await resolve(config: "{not json") }
        #expect(error?.code == .configInvalid)
    }

    @Test("a configured server that answers wins, and keeps its discovery command for later")
    func configServerThatAnswers() async throws {
        let r = try await resolve(
            config: #"{"server": "https://35.1.2.3:9000", "discover": "vm-ip"}"#,
            healthy: [Endpoint(scheme: "https", host: "35.1.2.3", port: 9000)],
            discovery: { _, _ in "External IP: 35.9.9.9" }
        )
        #expect(r.source == .configFile)
        #expect(r.discoveryCommand == "vm-ip")
    }

    @Test("a configured server that does not answer is found again by discovery: https, the configured port")
    func configServerThatMovedIsRediscovered() async throws {
        let moved = Endpoint(scheme: "https", host: "35.9.9.9", port: 9000)
        let r = try await resolve(
            config: #"{"server": "https://35.1.2.3:9000", "discover": "vm-ip"}"#,
            healthy: [moved],
            discovery: { command, _ in command == "vm-ip" ? "External IP: 35.9.9.9" : "" }
        )
        #expect(r.source == .discovery)
        #expect(r.endpoints == [moved])
        #expect(r.skipped.contains { $0.contains("https://35.1.2.3:9000") && $0.contains("does not answer") })
        // Neither answers: the configured server stays, so requests name it.
        let neither = try await resolve(
            config: #"{"server": "https://35.1.2.3:9000", "discover": "vm-ip"}"#,
            discovery: { _, _ in "External IP: 35.9.9.9" }
        )
        #expect(neither.source == .configFile)
        #expect(neither.endpoints.map(\.url) == ["https://35.1.2.3:9000"])
    }

    @Test("a CA certificate: flag, then BACKTEST_CA_CERT, then config ca_cert (relative to the config); discovery turns https")
    func caCertificatePrecedence() async throws {
        let folder = try TemporaryFolder()
        defer { folder.remove() }
        let ca = try CertificateAuthority.create(now: Date()).certificatePEM()
        let inConfig = try folder.write("backtest/vm-ca.pem", ca)
        let fromEnv = try folder.write("env-ca.pem", ca)
        _ = try folder.write("backtest/config.json", #"{"ca_cert": "vm-ca.pem", "discover": "vm-ip"}"#)
        func inputs(flag: String? = nil, env: [String: String] = [:]) -> EndpointResolver.Inputs {
            var environment = env
            environment["XDG_CONFIG_HOME"] = folder.path
            return EndpointResolver.Inputs(caCertificate: flag, environment: environment, runDiscovery: { _, _ in "203.0.113.7" })
        }
        #expect(EndpointResolver.caCertificate(inputs: inputs()).path == inConfig)
        #expect(EndpointResolver.caCertificate(inputs: inputs(env: ["BACKTEST_CA_CERT": fromEnv])).path == fromEnv)
        #expect(EndpointResolver.caCertificate(inputs: inputs(flag: "/x.pem", env: ["BACKTEST_CA_CERT": fromEnv])).source == "--ca-cert")
        let found = Endpoint(scheme: "https", host: "203.0.113.7", port: 8000)
        let r = try await EndpointResolver(inputs: inputs(), probe: { $0 == found }).resolve()
        #expect(r.endpoints == [found])
        #expect(r.caCertificate == inConfig)
        let missing = await #expect(throws: BacktestClientError.self) {
            try await EndpointResolver(inputs: inputs(flag: folder.path + "/none.pem"), probe: { _ in true }).resolve()
        }
        #expect(missing?.code == .caCertificateInvalid)
        #expect(missing?.message.contains("none.pem") == true)
    }

    // Real discovery commands, run by /bin/sh.

    @Test func realDiscoveryScriptPrintingExternalIP() async throws {
        let folder = try TemporaryFolder()
        defer { folder.remove() }
        let script = try folder.write("ip.sh", "#!/bin/sh\necho 'Looking up VM...'\necho 'External IP: 127.0.0.1'\n", executable: true)
        let inputs = EndpointResolver.Inputs(
            environment: ["BACKTEST_DISCOVER": "sh \(script)", "BACKTEST_DISCOVER_PORT": "8123", "XDG_CONFIG_HOME": folder.path],
            discoveryTimeout: 5,
            localDefault: Endpoint(host: "127.0.0.1", port: 1)
        )
        let probe = Probe([Endpoint(host: "127.0.0.1", port: 8123)])
        let r = try await EndpointResolver(inputs: inputs, probe: probe.function).resolve()
        #expect(r.source == .discovery)
        #expect(r.endpoints == [Endpoint(host: "127.0.0.1", port: 8123)])
    }

    @Test func realDiscoveryScriptThatHangsIsKilledAtTheTimeout() async throws {
        let folder = try TemporaryFolder()
        defer { folder.remove() }
        let inputs = EndpointResolver.Inputs(
            environment: ["BACKTEST_DISCOVER": "sleep 300", "XDG_CONFIG_HOME": folder.path],
            discoveryTimeout: 0.5
        )
        let clock = ContinuousClock()
        let start = clock.now
        let r = try await EndpointResolver(inputs: inputs, probe: Probe([Self.local]).function).resolve()
        // Killed at 0.5 s, not after `sleep 300`; the bound is loose because CPU-heavy suites
        // share the two cores and can hold the cooperative threads (26 s was seen once).
        #expect(clock.now - start < .seconds(150))
        #expect(r.source == .localDefault)
        #expect(r.skipped.contains { $0.contains("did not finish within") })
    }

    @Test func realDiscoveryCommandFailing() async throws {
        let error = await #expect(throws: BacktestClientError.self) {
            try await DiscoveryCommand(command: "echo 1.2.3.4; exit 3", timeout: 5).run()
        }
        #expect(error?.code == .discoveryFailed)
        #expect(try await DiscoveryCommand(command: "printf 'natIP\\t34.1.1.1\\n'", timeout: 5).run().contains("34.1.1.1"))
    }
}
