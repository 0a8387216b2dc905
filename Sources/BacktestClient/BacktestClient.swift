import AsyncHTTPClient
import BacktestAPI
import BacktestTLS
import Foundation
import Logging
import NIOCore
import NIOSSL
import X509

/// A client of the backtest service.
///
/// One client holds one connection pool (keep-alive connections reused across requests and
/// tasks), finds its servers with ``EndpointResolver``, spreads requests over several
/// endpoints by least outstanding requests, and retries per its ``RetryPolicy``. Plain
/// `http://` goes over sockets of its own (``SocketTransport``), `https://` and event streams
/// over AsyncHTTPClient.
///
/// Use the scoped API, which shuts the client down however the body exits:
///
/// ```swift
/// let reply = try await BacktestClient.withClient(configuration: .servers("http://127.0.0.1:8000")) { client in
///     try await client.run(BacktestRequest(ticker: "AAPL", strategy: "sma_cross"))
/// }
/// ```
///
/// or call ``shutdown()`` exactly once when done. AsyncHTTPClient, once needed, runs on its
/// shared event loop group, and the client creates no event loops of its own, so it cannot
/// leak any; shutting down closes its connections.
public final class BacktestClient: Sendable {
    /// The configuration.
    public let configuration: Configuration
    /// AsyncHTTPClient, for `https://` endpoints and event streams (made on first use).
    let https: LazyHTTPClient
    /// Plain sockets, for `http://` endpoints.
    let sockets: SocketTransport
    let pool: EndpointPool
    let logger: Logger
    let counters: ConnectionCounter
    /// The private CA certificates trusted besides the system's (for explaining refusals).
    let trustedCertificates: [Certificate]

    /// Creates a client. Endpoints are resolved on first use (or by ``resolve()``).
    public init(configuration: Configuration = Configuration(), logger: Logger = Logger(label: "backtest.client")) {
        self.configuration = configuration
        self.logger = logger
        let counters = ConnectionCounter()
        self.counters = counters
        // A private CA (`--ca-cert`, BACKTEST_CA_CERT, config ca_cert) is added to the system's
        // roots. A file that cannot be read is reported by resolution, before any request.
        let caPath = EndpointResolver.caCertificate(inputs: configuration.resolution).path
        let trusted = caPath.flatMap { try? TrustedCertificates.load(path: $0) } ?? []
        self.trustedCertificates = trusted
        let https = LazyHTTPClient(logger: logger) { Self.httpConfiguration(configuration, trusting: trusted, counters: counters) }
        let sockets = SocketTransport(
            maximumIdle: configuration.maximumConnectionsPerEndpoint,
            maximumReplyBytes: Self.maximumReplyBytes,
            counters: counters
        )
        self.https = https
        self.sockets = sockets
        let probeTimeout = configuration.probeTimeout
        let resolver = EndpointResolver(inputs: configuration.resolution) { endpoint in
            await BacktestClient.probe(endpoint, sockets: sockets, https: https, timeout: probeTimeout, logger: logger) != nil
        }
        self.pool = EndpointPool(resolver: resolver, recheckInterval: configuration.recheckInterval)
    }

    /// AsyncHTTPClient's settings for `configuration`, trusting `trusted` besides the system's roots.
    private static func httpConfiguration(
        _ configuration: Configuration,
        trusting trusted: [Certificate],
        counters: ConnectionCounter
    ) -> HTTPClient.Configuration {
        var http = HTTPClient.Configuration()
        http.timeout = HTTPClient.Configuration.Timeout(
            connect: .milliseconds(configuration.connectTimeout.milliseconds),
            read: .milliseconds(configuration.readTimeout.milliseconds)
        )
        http.connectionPool = HTTPClient.Configuration.ConnectionPool(
            idleTimeout: .seconds(60),
            concurrentHTTP1ConnectionsPerHostSoftLimit: configuration.maximumConnectionsPerEndpoint
        )
        // Our RetryPolicy decides about retries; a refused connection must fail fast, not
        // be retried silently until the connect timeout.
        http.connectionPool.retryConnectionEstablishment = false
        http.httpVersion = .http1Only
        var tls = TLSConfiguration.makeClientConfiguration()
        let roots = trusted.compactMap { certificate in
            certificate.derBytes.flatMap { try? NIOSSLCertificate(bytes: $0, format: .der) }
        }
        if !roots.isEmpty {
            // Added to the system's roots; a machine without them (a bare Debian without
            // ca-certificates) trusts the private CA alone rather than nothing.
            if Self.hasSystemTrustRoots { tls.additionalTrustRoots = [.certificates(roots)] } else { tls.trustRoots = .certificates(roots) }
        }
        http.tlsConfiguration = tls
        http.http1_1ConnectionDebugInitializer = { channel in
            counters.opened()
            return channel.eventLoop.makeSucceededVoidFuture()
        }
        return http
    }

    /// Runs `body` with a new client and shuts the client down afterwards, also when `body` throws.
    public static func withClient<Result: Sendable>(
        configuration: Configuration = Configuration(),
        logger: Logger = Logger(label: "backtest.client"),
        _ body: (BacktestClient) async throws -> Result
    ) async throws -> Result {
        let client = BacktestClient(configuration: configuration, logger: logger)
        let result: Result
        do {
            result = try await body(client)
        } catch {
            try? await client.shutdown()
            throw error
        }
        try await client.shutdown()
        return result
    }

    /// Closes every connection. Call exactly once, after the last request.
    public func shutdown() async throws {
        sockets.shutdown()
        try await https.shutdown()
    }

    /// Resolves the endpoints now (otherwise done on first use) and says which step won.
    public func resolve() async throws(BacktestClientError) -> EndpointResolver.Resolution {
        try await pool.resolved()
    }

    /// Uses `endpoints` instead of resolving (e.g. an embedded server the caller started).
    public func use(_ endpoints: [Endpoint], source: EndpointResolver.Source, reason: String) async {
        let key = EndpointResolver.apiKey(
            explicit: configuration.resolution.apiKey,
            environment: configuration.resolution.environment,
            config: nil,
            configPath: nil
        )
        await pool.install(
            EndpointResolver.Resolution(
                endpoints: endpoints,
                source: source,
                reason: reason,
                apiKey: key.0,
                apiKeySource: key.1
            )
        )
    }

    /// The endpoints in use (after resolution).
    public var endpoints: [Endpoint] {
        get async { await pool.endpoints }
    }

    /// Where swift-nio-ssl looks for the system's CA certificates on Linux.
    static let systemTrustRootPaths = ["/etc/ssl/certs/ca-certificates.crt", "/etc/pki/tls/certs/ca-bundle.crt", "/etc/ssl/certs"]

    /// Whether this machine has a system CA store (Debian's `ca-certificates`, …).
    static var hasSystemTrustRoots: Bool {
        #if os(Linux)
        systemTrustRootPaths.contains { FileManager.default.fileExists(atPath: $0) }
        #else
        true
        #endif
    }

    /// TCP connections this client has opened so far (keep-alive makes this small).
    public var connectionsOpened: Int { counters.count }
}
