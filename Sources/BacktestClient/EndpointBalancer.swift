/// The pure bookkeeping behind spreading work over several endpoints: outstanding requests
/// per endpoint, which endpoints are down and when to probe them again. No I/O.
///
/// ``pick(now:)`` chooses the up endpoint with the fewest outstanding requests (ties go to
/// the earlier one). An endpoint marked down gets no work until its recheck time; then it is
/// offered for a `/health` probe (``Choice/probe``) before it gets work again. When every
/// endpoint is down, the one due back first is used anyway, and a success brings it back.
public struct EndpointBalancer: Sendable {
    /// What the caller should do next.
    public enum Choice: Sendable, Hashable {
        /// Send the request here.
        case use(Endpoint)
        /// There are no endpoints at all.
        case none
        /// Probe this down endpoint with `/health` first, then report with ``probed(_:healthy:now:)``.
        case probe(Endpoint)
    }

    struct State: Sendable {
        var endpoint: Endpoint
        var outstanding = 0
        var downUntil: Double? = nil
        var probing = false
    }

    private(set) var states: [State]
    /// Seconds a failed endpoint stays down before it is probed again.
    public var recheckInterval: Double

    /// Creates a balancer over `endpoints`.
    public init(endpoints: [Endpoint], recheckInterval: Double = 5) {
        states = endpoints.map { State(endpoint: $0) }
        self.recheckInterval = recheckInterval
    }

    /// The endpoints, in preference order.
    public var endpoints: [Endpoint] { states.map(\.endpoint) }

    /// The endpoints that are not marked down.
    public var upEndpoints: [Endpoint] { states.filter { $0.downUntil == nil }.map(\.endpoint) }

    /// Outstanding requests on `endpoint`.
    public func outstanding(_ endpoint: Endpoint) -> Int {
        states.first { $0.endpoint == endpoint }?.outstanding ?? 0
    }

    /// Chooses where the next request goes; `.use` counts it as outstanding.
    public mutating func pick(now: Double) -> Choice {
        if let i = states.indices.filter({ states[$0].downUntil == nil }).min(by: { states[$0].outstanding < states[$1].outstanding }) {
            states[i].outstanding += 1
            return .use(states[i].endpoint)
        }
        if let i = states.indices.first(where: { !states[$0].probing && (states[$0].downUntil ?? .infinity) <= now }) {
            states[i].probing = true
            return .probe(states[i].endpoint)
        }
        // Every endpoint is down: try the one that comes back first anyway (the caller's
        // retry policy paces these attempts); a success brings it back up.
        let i = states.indices.min { (states[$0].downUntil ?? 0) < (states[$1].downUntil ?? 0) } ?? states.startIndex
        guard states.indices.contains(i) else { return .none }
        states[i].outstanding += 1
        return .use(states[i].endpoint)
    }

    /// Offers a down endpoint for probing when its recheck time has come while others are up.
    public mutating func dueForProbe(now: Double) -> Endpoint? {
        guard let i = states.indices.first(where: { !states[$0].probing && (states[$0].downUntil ?? .infinity) <= now }) else {
            return nil
        }
        states[i].probing = true
        return states[i].endpoint
    }

    /// Reports that a request on `endpoint` finished; a transport failure marks it down.
    public mutating func finished(_ endpoint: Endpoint, transportFailure: Bool, now: Double) {
        guard let i = states.firstIndex(where: { $0.endpoint == endpoint }) else { return }
        states[i].outstanding = max(0, states[i].outstanding - 1)
        states[i].downUntil = transportFailure ? now + recheckInterval : nil
    }

    /// Reports a probe's outcome: healthy brings the endpoint back, unhealthy keeps it down.
    public mutating func probed(_ endpoint: Endpoint, healthy: Bool, now: Double) {
        guard let i = states.firstIndex(where: { $0.endpoint == endpoint }) else { return }
        states[i].probing = false
        states[i].downUntil = healthy ? nil : now + recheckInterval
    }

    /// Replaces the endpoints (after rediscovery), keeping nothing of the old state.
    public mutating func replace(with endpoints: [Endpoint]) {
        states = endpoints.map { State(endpoint: $0) }
    }
}
