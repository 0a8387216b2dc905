import BacktestAPI
import BacktestEngine
import Foundation
import Testing

@testable import BacktestServer

/// A batch job's requests as stored: each distinct request without its ticker goes through the
/// coders once, and what is read back is what was stored, also from rows `JSONEncoder` wrote.
@Suite("Stored requests")
struct StoredRequestsTests {
    /// Requests that share all but their ticker, and some that differ in more (or have none).
    static let requests: [BacktestRequest?] = {
        var list: [BacktestRequest?] = []
        for ticker in ["AAPL", "MSFT", "BRK.B", "a\"quote", "back\\slash", "ünï/cødé", "tab\there", ""] {
            list.append(BacktestRequest(ticker: ticker, start: "2020-01-01", end: "2020-12-31", strategy: "sma_cross"))
        }
        list.append(nil)
        list.append(
            BacktestRequest(
                ticker: "GOOG",
                strategy: "sma_cross",
                params: ["fast": .number(5), "slow": .number(20.5), "flag": .bool(true)],
                commission: Commission(fixed: 1, relative: 0.002),
                slPct: 0.05,
                include: ["trades"]
            )
        )
        list.append(BacktestRequest(data: "bars/x.csv", ticker: "X", strategy: "sma_cross"))
        list.append(BacktestRequest(strategy: "sma_cross"))
        list.append(BacktestRequest(ticker: "R", strategy: "rules", rules: "buy when close > sma(close, 10)\nsell when close < sma(close, 10)"))
        list.append(BacktestRequest(ticker: "AAPL", start: "2020-01-01", end: "2020-12-31", strategy: "sma_cross"))
        return list
    }()

    @Test("what is stored reads back as the same requests, in order")
    func roundTrip() throws {
        let stored = try StoredRequests.encode(Self.requests)
        #expect(try StoredRequests.decode(stored) == Self.requests)
        // Still a plain JSON array of requests, as JSONDecoder reads it.
        #expect(try JSONDecoder().decode([BacktestRequest?].self, from: Data(stored)) == Self.requests)
        #expect(try StoredRequests.decode(try StoredRequests.encode([])) == [])
    }

    @Test("rows JSONEncoder wrote read back the same")
    func encoderRows() throws {
        let stored = Array(try JSONEncoder().encode(Self.requests))
        #expect(try StoredRequests.decode(stored) == Self.requests)
        let spaced = Array(" [ null , \(String(decoding: try JSONEncoder().encode(Self.requests[0]), as: UTF8.self)) ] ".utf8)
        #expect(try StoredRequests.decode(spaced) == [nil, Self.requests[0]])
    }

    @Test("a request whose ticker is not first, or appears twice, reads as JSONDecoder reads it")
    func otherShapes() throws {
        let late = Array(#"[{"strategy":"sma_cross","ticker":"IBM"}]"#.utf8)
        #expect(try StoredRequests.decode(late) == [BacktestRequest(ticker: "IBM", strategy: "sma_cross")])
        let twice = Array(#"[{"ticker":"A","strategy":"sma_cross","ticker":"B"}]"#.utf8)
        #expect(try StoredRequests.decode(twice) == (try JSONDecoder().decode([BacktestRequest?].self, from: Data(twice))))
    }

    @Test(
        "a damaged row is an error",
        arguments: [#"[{"ticker":"A"}]"#, #"[{"ticker":"A","strategy":1}]"#, "[", "[1]", "{}", #"[{"ticker":"A","#, "[null] x"]
    )
    func damaged(_ row: String) {
        #expect(throws: (any Error).self) { try StoredRequests.decode(Array(row.utf8)) }
    }
}
