import BacktestAPI
import BacktestEngine
import BacktestJSON
import Foundation
import Testing

@testable import BacktestServer

/// The server's fast request reader (`BacktestRequest(plainJSON:)`, `BatchBody(plainJSON:)`)
/// held to `JSONDecoder`: whenever it reads a body, the decoder reads the same value; and it
/// reads every valid body without repeated member names, so the fast path is the one taken.
@Suite struct RequestReaderTests {
    /// The fast reader's value, or `nil` when it leaves the body to the decoder.
    static func plain(_ text: String) -> BacktestRequest? {
        guard let json = try? JSONReader.parse(Array(text.utf8), rejectingDuplicateKeys: true) else { return nil }
        return BacktestRequest(plainJSON: json)
    }

    /// The decoder's value, or `nil` when it refuses the body.
    static func decoded(_ text: String) -> BacktestRequest? {
        try? JSONDecoder().decode(BacktestRequest.self, from: Data(text.utf8))
    }

    /// The bodies clients send, and every member in each of its forms.
    static let valid = [
        #"{"ticker":"AAPL","start":"2020-01-01","end":"2020-12-31","strategy":"sma_cross","params":{},"cash":10000,"commission":0,"spread":0,"margin":1,"trade_on_close":false,"hedging":false,"exclusive_orders":false,"finalize_trades":false}"#,
        #"{"strategy":"sma_cross"}"#,
        #"{"strategy":"sma_cross","params":{"fast":10,"slow":30.5,"long_only":true},"commission":[1.5,0.002],"sl_pct":0.05,"tp_pct":null}"#,
        #"{"rules":"long when close > sma(close, 20)","params":{"n":5}}"#,
        #"{"strategy":"rules","rules":"long when close > sma(close, 20)"}"#,
        #"{"data":"GOOG.csv","strategy":"rsi_reversion","include":["trades","equity"],"cash":1e6,"margin":0.02,"spread":-0.0}"#,
        #"{"ticker":"caf\u00e9 \"x\"\n","strategy":"sma_cross","start":null,"end":null,"data":null,"params":null,"cash":null,"commission":null,"include":[]}"#,
        #" { "strategy" : "macd_cross" , "hedging" : true , "exclusive_orders" : true , "trade_on_close" : true , "finalize_trades" : true } "#,
        #"{"strategy":"sma_cross","cash":4e-320,"spread":1.7976931348623157e308,"margin":12345678901234567890123,"commission":1E-2}"#,
    ]

    /// Bodies the fast reader must leave to the decoder (some it reads, some it refuses).
    static let leftToTheDecoder = [
        #"{"strategy":"sma_cross","strategy":"rsi_reversion"}"#,  // repeated: JSONDecoder keeps the first
        #"{"strategy":"sma_cross",}"#,  // JSONDecoder allows the trailing comma
        #"{"strategy":"sma_cross","cash":1e-400}"#,  // out of range
        #"{"strategy":"sma_cross","cash":1e400}"#,
        #"{"strategy":"sma_cross","bogus":1}"#,
        #"{"strategy":"sma_cross","cash":"10000"}"#,
        #"{"strategy":"sma_cross","hedging":1}"#,
        #"{"strategy":"sma_cross","params":{"fast":"10"}}"#,
        #"{"strategy":"sma_cross","params":{"fast":null}}"#,
        #"{"strategy":"sma_cross","params":[]}"#,
        #"{"strategy":"sma_cross","commission":[1,2,3]}"#,
        #"{"strategy":"sma_cross","commission":[1,true]}"#,
        #"{"strategy":"sma_cross","include":["trades",1]}"#,
        #"{"strategy":"sma_cross","rules":"long when close > open"}"#,
        #"{"strategy":"rules"}"#,
        #"{"cash":10000}"#,
        #"{"strategy":5}"#,
        #"["strategy"]"#,
        #"{"strategy":"sma_cross"} x"#,
    ]

    @Test func validBodiesReadFastAndAsTheDecoderReadsThem() throws {
        for text in Self.valid {
            let fast = try #require(Self.plain(text), "the fast reader left \(text) to the decoder")
            #expect(Self.decoded(text) == fast, "\(text)")
        }
    }

    @Test func otherBodiesAreLeftToTheDecoder() {
        for text in Self.leftToTheDecoder {
            #expect(Self.plain(text) == nil, "\(text)")
        }
    }

    /// 4,000 generated bodies, each member absent, null, of its type or of another, numbers in
    /// several spellings, sometimes an unknown or repeated member.
    @Test func generatedBodiesAgreeWithTheDecoder() {
        var random = Generator(seed: 23)
        var fast = 0
        for _ in 0..<4_000 {
            let text = random.body()
            let expected = Self.decoded(text)
            let read = Self.plain(text)
            if let read {
                fast += 1
                #expect(expected == read, "\(text)")
            } else if expected != nil {
                // A body the decoder reads is left to it only for a repeated member name.
                #expect(text.contains(Generator.repeatMarker), "the fast reader left \(text) to the decoder")
            }
        }
        #expect(fast > 400, "only \(fast) of 4,000 bodies were read by the fast reader")
    }

    @Test func batchBodiesReadFastOnlyInTheRequestsForm() throws {
        let items = Self.valid.joined(separator: ",")
        let text = #"{"requests":["# + items + "]}"
        let json = try JSONReader.parse(Array(text.utf8), rejectingDuplicateKeys: true)
        let fast = try #require(BatchBody(plainJSON: json))
        let decoded = try JSONDecoder().decode(BatchBody.self, from: Data(text.utf8))
        #expect(fast.entries == decoded.entries)
        #expect(fast.entries.count == Self.valid.count)
        // One item left to the decoder leaves the whole body to it (it reads items one by one).
        let mixed = #"{"requests":[{"strategy":"sma_cross"},{"strategy":"sma_cross","bogus":1}]}"#
        #expect(BatchBody(plainJSON: try JSONReader.parse(Array(mixed.utf8))) == nil)
        for other in [#"{"tickers":["AAPL"],"strategy":"sma_cross"}"#, #"{"requests":[],"x":1}"#, #"{"requests":{}}"#] {
            #expect(BatchBody(plainJSON: try JSONReader.parse(Array(other.utf8))) == nil, "\(other)")
        }
    }

    @Test func readerRefusesOutOfRangeNumbersAndOptionallyRepeatedNames() throws {
        for text in ["1e-400", "-1e-400", "0.0000001e-330", "1e400", "-1.7976931348623159e308"] {
            #expect(throws: JSONReadError.self, "\(text)") { try JSONReader.parse(Array(text.utf8)) }
        }
        for (text, value) in [
            ("0e-999", 0.0), ("-0.000e5", -0.0), ("4e-320", Double(bitPattern: 8096)), ("1.7976931348623157e308", Double.greatestFiniteMagnitude),
        ] {
            #expect(try JSONReader.parse(Array(text.utf8)) == .number(value), "\(text)")
        }
        let repeated = Array(#"{"a":1,"a":2}"#.utf8)
        #expect(try JSONReader.parse(repeated) == ["a": 2])
        #expect(throws: JSONReadError.self) { try JSONReader.parse(repeated, rejectingDuplicateKeys: true) }
    }

    /// Random request bodies as text (so that repeated names and number spellings can be written).
    struct Generator {
        static let repeatMarker = "\"strategy\":\"repeated\""
        var random: SplitMix64

        init(seed: UInt64) { random = SplitMix64(seed: seed) }

        mutating func next() -> UInt64 { random.next() }

        mutating func pick<T>(_ choices: [T]) -> T { choices[Int(next() % UInt64(choices.count))] }

        mutating func number() -> String {
            pick(["0", "-0", "1", "10000", "0.002", "-0.5", "1e3", "2.5E-2", "1e-400", "1e400", "4e-320", "12345678901234567890", "0.1e1"])
        }

        mutating func string() -> String { pick([#""AAPL""#, #""2020-01-01""#, #""a\"b\u00e9""#, #""""#, #""sma_cross""#]) }

        mutating func other() -> String { pick(["true", "false", "[]", "{}", number(), string(), "[1,2]", #"["x"]"#]) }

        /// One member's value: of its type most of the time, else null or another type.
        mutating func value(for key: String) -> String {
            let roll = next() % 10
            if roll == 0 { return "null" }
            if roll == 1 { return other() }
            switch key {
            case "strategy": return pick([#""sma_cross""#, #""rules""#, #""rsi_reversion""#])
            case "rules": return pick([#""long when close > open""#, "null"])
            case "data", "ticker", "start", "end": return string()
            case "params":
                let entries = (0..<Int(next() % 3)).map { k in "\"p\(k)\":" + pick([number(), "true", "false", "null", #""x""#]) }
                return "{" + entries.joined(separator: ",") + "}"
            case "commission": return pick([number(), "[" + number() + "," + number() + "]", "[1]", "[1,2,3]"])
            case "trade_on_close", "hedging", "exclusive_orders", "finalize_trades": return pick(["true", "false"])
            case "include": return pick([#"["trades"]"#, #"["trades","equity"]"#, "[]", #"[1]"#])
            default: return number()
            }
        }

        mutating func body() -> String {
            var members: [String] = []
            for key in BacktestRequest.fieldNames where next() % 3 == 0 || key == "strategy" && next() % 8 != 0 {
                members.append("\"\(key)\":" + value(for: key))
            }
            if next() % 20 == 0 { members.append(#""unknown":1"#) }
            if next() % 20 == 0 { members.append(Self.repeatMarker) }
            members.shuffle(using: &self)
            return "{" + members.joined(separator: ",") + "}"
        }
    }
}

extension RequestReaderTests.Generator: RandomNumberGenerator {}
