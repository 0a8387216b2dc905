import BacktestClient
import Testing

@Suite struct EndpointTests {
    @Test func parsesTheUsualForms() throws {
        #expect(Endpoint(parsing: "http://10.0.0.5:9000")?.url == "http://10.0.0.5:9000")
        #expect(Endpoint(parsing: "10.0.0.5")?.url == "http://10.0.0.5:8000")
        #expect(Endpoint(parsing: "example.org:81/")?.url == "http://example.org:81")
        #expect(Endpoint(parsing: "https://api.example.org")?.url == "https://api.example.org:443")
        #expect(Endpoint(parsing: "[::1]:9000")?.host == "::1")
        #expect(Endpoint(parsing: "http://[::1]:9000")?.url == "http://[::1]:9000")
        #expect(Endpoint(parsing: "ftp://x") == nil)
        #expect(Endpoint(parsing: "host:port") == nil)
        #expect(Endpoint(parsing: "host:70000") == nil)
        #expect(Endpoint(parsing: "http://host/path") == nil)
        #expect(Endpoint(parsing: "") == nil)
    }

    @Test func parsesCommaSeparatedListsWithoutDuplicates() throws {
        let list = try Endpoint.parseList(" http://a:1, b:2 ,http://a:1,")
        #expect(list.map(\.url) == ["http://a:1", "http://b:2"])
        #expect(throws: BacktestClientError.self) { try Endpoint.parseList("a:1, not a url") }
        #expect(throws: BacktestClientError.self) { try Endpoint.parseList(" , ") }
    }
}

@Suite struct DiscoveryOutputTests {
    @Test func findsTheFirstAddress() {
        #expect(DiscoveryOutput.endpoint(in: "External IP: 35.1.2.3\n")?.url == "http://35.1.2.3:8000")
        #expect(DiscoveryOutput.endpoint(in: "35.1.2.3")?.url == "http://35.1.2.3:8000")
        #expect(DiscoveryOutput.endpoint(in: "vm is up.\nExternal IP: 35.1.2.3.\nInternal IP: 10.0.0.2")?.host == "35.1.2.3")
        #expect(DiscoveryOutput.endpoint(in: "address 10.1.2.3:9001 ready")?.url == "http://10.1.2.3:9001")
        #expect(DiscoveryOutput.endpoint(in: "ip 1.2.3.4", defaultPort: 7000)?.port == 7000)
    }

    @Test func findsIPv6() {
        #expect(DiscoveryOutput.endpoint(in: "natIP: 2001:db8::1")?.host == "2001:db8::1")
        #expect(DiscoveryOutput.endpoint(in: "[2001:db8::1]:9000")?.url == "http://[2001:db8::1]:9000")
    }

    @Test func ignoresGarbageTimesAndVersions() {
        #expect(DiscoveryOutput.endpoint(in: "ERROR: instance not found") == nil)
        #expect(DiscoveryOutput.endpoint(in: "at 12:30:45 version 1.2.3 ok") == nil)
        #expect(DiscoveryOutput.endpoint(in: "999.1.2.3") == nil)
        #expect(DiscoveryOutput.endpoint(in: "") == nil)
    }
}
