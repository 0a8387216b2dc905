import BacktestAPI

/// The client's endpoints: the resolution (done once, lazily), the balancer, rediscovery
/// state, and the concurrency the servers report. Shared by every request of a client.
actor EndpointPool {
    private let resolver: EndpointResolver
    private let recheckInterval: Double
    private var resolution: EndpointResolver.Resolution?
    private var resolving: Task<EndpointResolver.Resolution, any Error>?
    private var balancer = EndpointBalancer(endpoints: [])
    private var rediscovered = false
    private let clock = ContinuousClock()
    private let start: ContinuousClock.Instant
    /// Whether the servers lack `/v1/backtests/batch` (learned from a 404/405).
    private(set) var batchRouteMissing = false

    /// Records that the servers lack `/v1/backtests/batch`.
    func setBatchRouteMissing() { batchRouteMissing = true }

    init(resolver: EndpointResolver, recheckInterval: Double) {
        self.resolver = resolver
        self.recheckInterval = recheckInterval
        self.start = clock.now
    }

    private var now: Double { (clock.now - start).seconds }

    /// The resolution, resolving on first use (concurrent callers share one resolution).
    func resolved() async throws(BacktestClientError) -> EndpointResolver.Resolution {
        if let resolution { return resolution }
        let task: Task<EndpointResolver.Resolution, any Error>
        if let resolving {
            task = resolving
        } else {
            let resolver = self.resolver
            task = Task { try await resolver.resolve() }
            resolving = task
        }
        do {
            let r = try await task.value
            if resolution == nil { install(r) }
            return resolution ?? r
        } catch {
            resolving = nil
            throw error as? BacktestClientError ?? BacktestClientError(code: .noEndpoint, message: "\(error)")
        }
    }

    /// Uses `resolution` instead of resolving (the CLI's embedded server).
    func install(_ resolution: EndpointResolver.Resolution) {
        self.resolution = resolution
        balancer = EndpointBalancer(endpoints: resolution.endpoints, recheckInterval: recheckInterval)
    }

    /// What to do next: use an endpoint, or probe one first.
    func pick() async throws(BacktestClientError) -> EndpointBalancer.Choice {
        _ = try await resolved()
        if let due = balancer.dueForProbe(now: now) { return .probe(due) }
        return balancer.pick(now: now)
    }

    func finished(_ endpoint: Endpoint, transportFailure: Bool) {
        balancer.finished(endpoint, transportFailure: transportFailure, now: now)
    }

    func probed(_ endpoint: Endpoint, healthy: Bool) {
        balancer.probed(endpoint, healthy: healthy, now: now)
    }

    /// Whether an endpoint other than `endpoint` is up.
    func hasOtherUpEndpoint(than endpoint: Endpoint) -> Bool {
        balancer.upEndpoints.contains { $0 != endpoint }
    }

    /// The endpoints, in preference order.
    var endpoints: [Endpoint] { balancer.endpoints }

    /// Runs discovery again, once per client, when discovery found the endpoints; returns
    /// whether the endpoints changed.
    func rediscover() async -> Bool {
        guard !rediscovered, let resolution, let command = resolution.discoveryCommand else { return false }
        rediscovered = true
        guard let endpoint = try? await resolver.discover(command: command), await resolver.probe(endpoint) else { return false }
        var updated = resolution
        updated.endpoints = [endpoint]
        updated.reason = "rediscovered \(endpoint) with the discovery command"
        install(updated)
        return true
    }
}
