import Testing

@testable import BacktestTLS

@Suite("TLS host names")
struct TLSHostTests {
    @Test("IPv4, IPv6 and DNS names parse; duplicates drop")
    func parsesAddressesAndNames() throws {
        let hosts = try TLSHost.parseList("203.0.113.7, ::1,[fe80::1],Backtest.Example.com,*.vm.example.com,203.0.113.7")
        #expect(hosts.map(\.description) == ["203.0.113.7", "::1", "fe80::1", "backtest.example.com", "*.vm.example.com"])
        #expect(hosts[0] == .ipAddress("203.0.113.7", bytes: [203, 0, 113, 7]))
        if case .ipAddress(_, let bytes) = hosts[1] {
            #expect(bytes == Array(repeating: 0, count: 15) + [1])
        } else {
            Issue.record("::1 is an address")
        }
    }

    @Test(
        "bad entries are refused by name",
        arguments: ["", "a,,b", "-bad.example.com", "under_score.example.com", "256.1.1.1", "*.com", "a.*.example.com", "x y"]
    )
    func refusesBadEntries(text: String) {
        #expect(throws: TLSError.self) { try TLSHost.parseList(text) }
    }

    @Test("the error names the entry")
    func errorNamesTheEntry() {
        do {
            _ = try TLSHost.parseList("127.0.0.1,bad_name")
            Issue.record("bad_name was accepted")
        } catch {
            #expect(error.code == .invalidHost)
            #expect(error.message.contains("'bad_name'"))
        }
    }
}
