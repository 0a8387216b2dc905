import BacktestAPI
import BacktestEngine
import BacktestJSON
import Foundation
import NIOCore
import Testing

@testable import BacktestClient

/// The request bodies the client writes with `JSONWriter` hold what `JSONEncoder` wrote:
/// the same members, read back to the same request by the server's decoder.
@Suite struct RequestJSONTests {
    static let requests: [BacktestRequest] = {
        var plain = BacktestRequest(ticker: "AAPL", strategy: "sma_cross")
        plain.start = "2020-01-01"
        plain.end = "2020-12-31"
        var full = BacktestRequest(
            data: "/tmp/a \"quoted\" \\ path\n.csv",
            strategy: "macd_cross",
            params: ["fast": .number(12), "slow": .number(26.5), "short": .bool(true), "nan": .number(.nan), "inf": .number(-.infinity)],
            cash: 12_345.678,
            commission: Commission(fixed: 1.5, relative: 0.002),
            spread: 0.0001,
            margin: 0.5,
            tradeOnClose: true,
            hedging: true,
            exclusiveOrders: true,
            finalizeTrades: true,
            slPct: 0.05,
            tpPct: 1e-9,
            include: ["trades", "equity"]
        )
        full.ticker = "ÄPFEL"
        var rules = BacktestRequest(ticker: "MSFT", strategy: BacktestRequest.rulesStrategy)
        rules.rules = "entry: close > sma(close, 20)\nexit: close < sma(close, 20)"
        rules.include = []
        rules.commission = Commission(relative: -0.0)
        return [plain, full, rules]
    }()

    @Test(arguments: requests)
    func aRequestHasJSONEncodersMembers(_ request: BacktestRequest) throws {
        let written = Array(try BacktestClient.requestBody(request).bytes.readableBytesView)
        let encoded = Array(try JSONEncoder().encode(request))
        #expect(try JSONReader.parse(written) == JSONReader.parse(encoded))
        // The server's decoder reads both to the same request (or refuses both).
        let fromWritten = try? JSONDecoder().decode(BacktestRequest.self, from: Data(written))
        let fromEncoded = try? JSONDecoder().decode(BacktestRequest.self, from: Data(encoded))
        #expect((fromWritten == nil) == (fromEncoded == nil))
        if let fromWritten, let fromEncoded {
            #expect(try JSONReader.parse(Array(JSONEncoder().encode(fromWritten))) == JSONReader.parse(Array(JSONEncoder().encode(fromEncoded))))
        }
    }

    /// Every member of `BacktestRequest` is set in one of the requests above, so a member added
    /// to the type and not to `requestBody` fails the comparison with `JSONEncoder`.
    @Test func theRequestsSetEveryMember() {
        func setMembers(_ request: BacktestRequest) -> Set<String> {
            Set(
                Mirror(reflecting: request).children.compactMap { child in
                    let value = Mirror(reflecting: child.value)
                    return value.displayStyle == .optional && value.children.isEmpty ? nil : child.label
                }
            )
        }
        let all = Set(Mirror(reflecting: Self.requests[0]).children.compactMap(\.label))
        let set = Self.requests.reduce(into: Set<String>()) { $0.formUnion(setMembers($1)) }
        #expect(all.subtracting(set).isEmpty, "members no request sets: \(all.subtracting(set).sorted())")
    }

    @Test func aBatchHasJSONEncodersMembers() throws {
        let batch = BatchRequest(requests: Self.requests)
        let written = try BacktestClient.requestBody(batch)
        #expect(try JSONReader.parse(Array(written.bytes.readableBytesView)) == JSONReader.parse(Array(JSONEncoder().encode(batch))))
    }

    @Test func numbersJSONEncoderRefusesGetItsError() {
        var request = BacktestRequest(ticker: "AAPL", strategy: "sma_cross")
        request.cash = .infinity
        #expect(!BacktestClient.isWritable(request))
        #expect(throws: BacktestClientError.self) { try BacktestClient.requestBody(request) }
        #expect(throws: BacktestClientError.self) { try BacktestClient.requestBody(BatchRequest(requests: [request])) }
    }
}
