import BacktestClient
import Testing

@Suite struct EndpointBalancerTests {
    let a = Endpoint(host: "10.0.0.1"), b = Endpoint(host: "10.0.0.2")

    @Test func spreadsByLeastOutstanding() {
        var balancer = EndpointBalancer(endpoints: [a, b])
        #expect(balancer.pick(now: 0) == .use(a))
        #expect(balancer.pick(now: 0) == .use(b))
        #expect(balancer.pick(now: 0) == .use(a))
        balancer.finished(a, transportFailure: false, now: 0)
        balancer.finished(a, transportFailure: false, now: 0)
        #expect(balancer.pick(now: 0) == .use(a))
        #expect(balancer.outstanding(a) == 1)
        #expect(balancer.outstanding(b) == 1)
    }

    @Test func aFailedEndpointGetsNoWorkUntilItsProbeSucceeds() {
        var balancer = EndpointBalancer(endpoints: [a, b], recheckInterval: 5)
        #expect(balancer.pick(now: 0) == .use(a))
        balancer.finished(a, transportFailure: true, now: 1)
        #expect(balancer.upEndpoints == [b])
        for _ in 0..<3 { #expect(balancer.pick(now: 2) == .use(b)) }
        #expect(balancer.dueForProbe(now: 3) == nil)
        #expect(balancer.dueForProbe(now: 6) == a)
        #expect(balancer.dueForProbe(now: 6) == nil)  // one probe at a time
        balancer.probed(a, healthy: false, now: 6)
        #expect(balancer.dueForProbe(now: 7) == nil)
        #expect(balancer.dueForProbe(now: 11) == a)
        balancer.probed(a, healthy: true, now: 11)
        #expect(balancer.upEndpoints == [a, b])
        #expect(balancer.pick(now: 11) == .use(a))
    }

    @Test func whenAllAreDownTheFirstDueBackIsTriedAnyway() {
        var balancer = EndpointBalancer(endpoints: [a, b], recheckInterval: 5)
        _ = balancer.pick(now: 0)
        _ = balancer.pick(now: 0)
        balancer.finished(b, transportFailure: true, now: 1)
        balancer.finished(a, transportFailure: true, now: 2)
        #expect(balancer.pick(now: 3) == .use(b))
        balancer.finished(b, transportFailure: false, now: 3)
        #expect(balancer.upEndpoints == [b])
    }

    @Test func noEndpoints() {
        var balancer = EndpointBalancer(endpoints: [])
        #expect(balancer.pick(now: 0) == .none)
    }
}

@Suite struct ServerSentEventParserTests {
    @Test func parsesEventsAcrossChunkBoundaries() {
        var parser = ServerSentEventParser()
        let text = ": comment\r\nevent: item\ndata: {\"index\":0}\nid: 1\n\nevent: done\ndata: a\ndata: b\n\n"
        var events: [ServerSentEvent] = []
        for byte in Array(text.utf8) { events += parser.feed([byte]) }
        #expect(
            events == [
                ServerSentEvent(event: "item", data: "{\"index\":0}", id: "1"),
                ServerSentEvent(event: "done", data: "a\nb", id: "1"),
            ]
        )
    }

    @Test func defaultsToMessageAndSkipsEmptyEvents() {
        var parser = ServerSentEventParser()
        #expect(parser.feed(Array("\n\ndata: x\r\n\r\n".utf8)) == [ServerSentEvent(data: "x")])
    }
}
