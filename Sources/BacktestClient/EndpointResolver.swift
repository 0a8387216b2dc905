import BacktestAPI
import BacktestTLS
import Foundation

/// Finds the server, in this order:
///
/// 1. explicit URLs (`--server`, the initializer), comma-separated;
/// 2. `BACKTEST_URL` (same syntax);
/// 3. the config file's `server`; when the config (or `BACKTEST_DISCOVER`) also has a
///    discovery command, the server must answer `GET /health`, else discovery runs (a VM
///    that restarted with a new IP);
/// 4. a discovery command (`BACKTEST_DISCOVER`, or the config file's `discover`): the first
///    IPv4/IPv6 address of its output, port from the output, `BACKTEST_DISCOVER_PORT`, the
///    config's `server` or 8000, `https` when a CA certificate is configured or the
///    config's `server` is `https`, confirmed with `GET /health`;
/// 5. `http://127.0.0.1:8000`, if it answers `GET /health`.
///
/// The API key comes from the explicit key, `BACKTEST_API_KEY`, or the config file; the CA
/// certificate to trust from the explicit path (`--ca-cert`), `BACKTEST_CA_CERT`, or the
/// config's `ca_cert`. Every input is injectable (``Inputs``) so the order can be tested
/// without the real environment.
public struct EndpointResolver: Sendable {
    /// Everything resolution reads.
    public struct Inputs: Sendable {
        /// Explicit server URLs (comma-separated), step 1.
        public var servers: String?
        /// Explicit API key.
        public var apiKey: String?
        /// Explicit CA certificate file (`--ca-cert`).
        public var caCertificate: String?
        /// The environment variables (`BACKTEST_URL`, `BACKTEST_API_KEY`, `BACKTEST_CA_CERT`,
        /// `BACKTEST_DISCOVER`, `BACKTEST_DISCOVER_PORT`, `XDG_CONFIG_HOME`, `HOME`).
        public var environment: [String: String]
        /// The config file path; `nil` means the default for ``environment``.
        public var configPath: String?
        /// The longest a discovery command may run, in seconds (default 20).
        public var discoveryTimeout: Double
        /// Runs a discovery command and returns its output (default: ``DiscoveryCommand``).
        public var runDiscovery: @Sendable (_ command: String, _ timeout: Double) async throws -> String
        /// The local default, step 5 (default `http://127.0.0.1:8000`).
        public var localDefault: Endpoint

        /// Creates inputs; the defaults read nothing but what is passed.
        public init(
            servers: String? = nil,
            apiKey: String? = nil,
            caCertificate: String? = nil,
            environment: [String: String] = [:],
            configPath: String? = nil,
            discoveryTimeout: Double = 20,
            runDiscovery: @escaping @Sendable (_ command: String, _ timeout: Double) async throws -> String = { command, timeout in
                try await DiscoveryCommand(command: command, timeout: timeout).run()
            },
            localDefault: Endpoint = Endpoint(host: "127.0.0.1", port: 8000)
        ) {
            self.servers = servers
            self.apiKey = apiKey
            self.caCertificate = caCertificate
            self.environment = environment
            self.configPath = configPath
            self.discoveryTimeout = discoveryTimeout
            self.runDiscovery = runDiscovery
            self.localDefault = localDefault
        }
    }

    /// Where the endpoints came from.
    public enum Source: String, Sendable, Hashable {
        /// `--server` or the initializer.
        case explicit
        /// `BACKTEST_URL`.
        case environment
        /// The config file's `server`.
        case configFile = "config_file"
        /// A discovery command.
        case discovery
        /// `http://127.0.0.1:8000`.
        case localDefault = "local_default"
        /// An embedded server the CLI started.
        case embedded
    }

    /// The outcome of resolution.
    public struct Resolution: Sendable {
        /// The endpoints to use, in preference order.
        public var endpoints: [Endpoint]
        /// Which step won.
        public var source: Source
        /// Why it won, for people (`BACKTEST_URL is set`, …).
        public var reason: String
        /// The API key, if any.
        public var apiKey: String?
        /// Where the API key came from (`--api-key`, `BACKTEST_API_KEY`, the config file).
        public var apiKeySource: String?
        /// The CA certificate file trusted besides the system's roots, if any.
        public var caCertificate: String?
        /// Where it came from (`--ca-cert`, `BACKTEST_CA_CERT`, the config file).
        public var caCertificateSource: String?
        /// The discovery command, when discovery won (run again when the server disappears).
        public var discoveryCommand: String?
        /// What was tried before, one line per step that did not win.
        public var skipped: [String]

        /// Creates a resolution.
        public init(
            endpoints: [Endpoint],
            source: Source,
            reason: String,
            apiKey: String? = nil,
            apiKeySource: String? = nil,
            caCertificate: String? = nil,
            caCertificateSource: String? = nil,
            discoveryCommand: String? = nil,
            skipped: [String] = []
        ) {
            self.endpoints = endpoints
            self.source = source
            self.reason = reason
            self.apiKey = apiKey
            self.apiKeySource = apiKeySource
            self.caCertificate = caCertificate
            self.caCertificateSource = caCertificateSource
            self.discoveryCommand = discoveryCommand
            self.skipped = skipped
        }
    }

    /// The inputs.
    public var inputs: Inputs
    /// Answers whether an endpoint serves `GET /health`.
    public var probe: @Sendable (Endpoint) async -> Bool

    /// Creates a resolver.
    public init(inputs: Inputs, probe: @escaping @Sendable (Endpoint) async -> Bool) {
        self.inputs = inputs
        self.probe = probe
    }

    /// Resolves the endpoints; throws `no_endpoint` (with every step's reason) when no step
    /// found a server, `invalid_url`/`config_invalid` for malformed inputs, and
    /// `ca_cert_invalid` for a CA certificate file that is not one.
    public func resolve() async throws(BacktestClientError) -> Resolution {
        let env = inputs.environment
        var skipped: [String] = []
        let configPath = inputs.configPath ?? ClientConfigFile.defaultPath(environment: env)
        let config = try configPath.flatMap { path throws(BacktestClientError) in try ClientConfigFile.load(path: path) }
        let (apiKey, apiKeySource) = Self.apiKey(explicit: inputs.apiKey, environment: env, config: config, configPath: configPath)
        let ca = Self.caCertificate(inputs: inputs, config: config, configPath: configPath)
        if let path = ca.path {
            do {
                _ = try TrustedCertificates.load(path: path)
            } catch {
                throw BacktestClientError(code: .caCertificateInvalid, message: "\(error.message) (from \(ca.source ?? "--ca-cert"))")
            }
        }

        func done(_ endpoints: [Endpoint], _ source: Source, _ reason: String, discovery: String? = nil) -> Resolution {
            Resolution(
                endpoints: endpoints,
                source: source,
                reason: reason,
                apiKey: apiKey,
                apiKeySource: apiKeySource,
                caCertificate: ca.path,
                caCertificateSource: ca.source,
                discoveryCommand: discovery,
                skipped: skipped
            )
        }

        if let servers = nonEmpty(inputs.servers) {
            return done(try Endpoint.parseList(servers), .explicit, "--server was given")
        }
        skipped.append("--server: not given")
        if let servers = nonEmpty(env["BACKTEST_URL"]) {
            return done(try Endpoint.parseList(servers), .environment, "BACKTEST_URL is set")
        }
        skipped.append("BACKTEST_URL: not set")

        let discovery: (command: String, origin: String)? =
            nonEmpty(env["BACKTEST_DISCOVER"]).map { ($0, "BACKTEST_DISCOVER") }
            ?? nonEmpty(config?.discover).map { ($0, "\"discover\" in \(configPath ?? "the config file")") }
        var configured: [Endpoint] = []
        if let servers = nonEmpty(config?.server), let configPath {
            configured = try Endpoint.parseList(servers)
            let reason = "\"server\" in \(configPath)"
            guard let discovery else { return done(configured, .configFile, reason) }
            // With a way to find the server again, a configured server must answer first.
            for endpoint in configured where await probe(endpoint) {
                return done(configured, .configFile, reason + " answers /health", discovery: discovery.command)
            }
            skipped.append("config file \(configPath): \"server\" \(configured.map(\.url).joined(separator: ", ")) does not answer /health")
        } else {
            skipped.append(
                configPath.map { config == nil ? "config file \($0): not found" : "config file \($0): no \"server\"" }
                    ?? "config file: no HOME or XDG_CONFIG_HOME"
            )
        }

        if let discovery {
            do {
                let endpoint = try await discover(command: discovery.command)
                if await probe(endpoint) {
                    return done([endpoint], .discovery, "\(discovery.origin) found \(endpoint) and it answers /health", discovery: discovery.command)
                }
                skipped.append("discovery (\(discovery.origin)): found \(endpoint) but it does not answer /health")
            } catch {
                skipped.append("discovery (\(discovery.origin)): \(error.message)")
            }
            if !configured.isEmpty, let configPath {
                // Neither answers: keep the configured server, so requests say what is wrong with it.
                return done(configured, .configFile, "\"server\" in \(configPath) (it and discovery do not answer)", discovery: discovery.command)
            }
        } else {
            skipped.append("discovery: neither BACKTEST_DISCOVER nor \"discover\" in the config file")
        }

        if await probe(inputs.localDefault) {
            return done([inputs.localDefault], .localDefault, "\(inputs.localDefault) answers /health")
        }
        skipped.append("\(inputs.localDefault): does not answer /health")
        throw BacktestClientError(
            code: .noEndpoint,
            message: "no backtest server found:\n  " + skipped.joined(separator: "\n  ")
        )
    }

    /// Runs the discovery command and parses its output into an endpoint: the port from the
    /// output, else `BACKTEST_DISCOVER_PORT`, the config's `server`, or 8000; `https` when a CA
    /// certificate is configured or the config's `server` is `https`.
    public func discover(command: String) async throws(BacktestClientError) -> Endpoint {
        let output: String
        do {
            output = try await inputs.runDiscovery(command, inputs.discoveryTimeout)
        } catch let error as BacktestClientError {
            throw error
        } catch {
            throw BacktestClientError(code: .discoveryFailed, message: "discovery command failed: \(error)")
        }
        let configPath = inputs.configPath ?? ClientConfigFile.defaultPath(environment: inputs.environment)
        let config = configPath.flatMap { try? ClientConfigFile.load(path: $0) }
        let configured = config?.server.flatMap { try? Endpoint.parseList($0) }?.first
        let port =
            inputs.environment["BACKTEST_DISCOVER_PORT"].flatMap { Int($0.trimmingWhitespace()) } ?? configured?.port ?? Endpoint.defaultPort
        guard var endpoint = DiscoveryOutput.endpoint(in: output, defaultPort: port) else {
            let excerpt = output.trimmingWhitespace().prefix(80)
            throw BacktestClientError(
                code: .discoveryNoAddress,
                message: "no IP address in the discovery output ('\(excerpt)')"
            )
        }
        let tls = Self.caCertificate(inputs: inputs, config: config, configPath: configPath).path != nil || configured?.scheme == "https"
        endpoint.scheme = tls ? "https" : "http"
        return endpoint
    }

    /// The CA certificate file to trust: `--ca-cert`, `BACKTEST_CA_CERT`, then the config's
    /// `ca_cert` (a relative path there is relative to the config file's folder).
    public static func caCertificate(inputs: Inputs) -> (path: String?, source: String?) {
        let configPath = inputs.configPath ?? ClientConfigFile.defaultPath(environment: inputs.environment)
        let config = configPath.flatMap { try? ClientConfigFile.load(path: $0) }
        return caCertificate(inputs: inputs, config: config, configPath: configPath)
    }

    static func caCertificate(inputs: Inputs, config: ClientConfigFile?, configPath: String?) -> (path: String?, source: String?) {
        if let path = nonEmptyValue(inputs.caCertificate) { return (path, "--ca-cert") }
        if let path = nonEmptyValue(inputs.environment["BACKTEST_CA_CERT"]) { return (path, "BACKTEST_CA_CERT") }
        if let path = nonEmptyValue(config?.caCert), let configPath {
            let absolute = path.hasPrefix("/") ? path : ((configPath as NSString).deletingLastPathComponent as NSString).appendingPathComponent(path)
            return (absolute, configPath)
        }
        return (nil, nil)
    }

    static func apiKey(
        explicit: String?,
        environment: [String: String],
        config: ClientConfigFile?,
        configPath: String?
    ) -> (String?, String?) {
        if let key = nonEmptyValue(explicit) { return (key, "--api-key") }
        if let key = nonEmptyValue(environment["BACKTEST_API_KEY"]) { return (key, "BACKTEST_API_KEY") }
        if let key = nonEmptyValue(config?.apiKey) { return (key, configPath ?? "config file") }
        return (nil, nil)
    }

    private func nonEmpty(_ s: String?) -> String? { Self.nonEmptyValue(s) }

    static func nonEmptyValue(_ s: String?) -> String? {
        guard let t = s?.trimmingWhitespace(), !t.isEmpty else { return nil }
        return t
    }
}
