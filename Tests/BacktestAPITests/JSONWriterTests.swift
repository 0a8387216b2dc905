import BacktestAPI
import BacktestEngine
import BacktestJSON
import Foundation
import Testing

/// `JSONWriter` output must mean exactly what `JSONEncoder` output of the same value means.
@Suite("JSON writer")
struct JSONWriterTests {
    /// Any JSON value, compared structurally (keys as a set, numbers by value).
    indirect enum JSONValue: Decodable, Equatable {
        case null
        case bool(Bool)
        case number(Double)
        case string(String)
        case array([JSONValue])
        case object([String: JSONValue])

        init(from decoder: any Decoder) throws {
            let c = try decoder.singleValueContainer()
            if c.decodeNil() {
                self = .null
            } else if let b = try? c.decode(Bool.self) {
                self = .bool(b)
            } else if let d = try? c.decode(Double.self) {
                self = .number(d)
            } else if let s = try? c.decode(String.self) {
                self = .string(s)
            } else if let a = try? c.decode([JSONValue].self) {
                self = .array(a)
            } else {
                self = .object(try c.decode([String: JSONValue].self))
            }
        }
    }

    /// Both encodings parsed and compared structurally (keys, values, nulls, number values;
    /// not key order or number spelling).
    func expectSameJSON<T: Encodable & JSONWritable>(_ value: T, sourceLocation: SourceLocation = #_sourceLocation) throws {
        let written = Data(value.jsonBytes())
        let encoded = try JSONEncoder().encode(value)
        let a = try JSONDecoder().decode(JSONValue.self, from: written)
        let b = try JSONDecoder().decode(JSONValue.self, from: encoded)
        #expect(
            a == b,
            "writer: \(String(decoding: written, as: UTF8.self))\nencoder: \(String(decoding: encoded, as: UTF8.self))",
            sourceLocation: sourceLocation
        )
    }

    static func reply(trades: Bool) throws -> BacktestReply {
        let closes = (0..<300).map { 100 + 15 * sin(Double($0) / 11) }
        let bars = try Bars(
            timestamps: (0..<300).map { Int64($0) * 86_400 + 1_577_836_800 },
            open: closes,
            high: closes.map { $0 + 1 },
            low: closes.map { $0 - 1 },
            close: closes
        )
        let result = try Backtest(bars: bars).run(SMACross(fast: 5, slow: 20, brackets: Brackets(slPct: 0.05)))
        let report = BacktestReport(result, trades: trades, equity: trades)
        return BacktestReply(
            ticker: "AAPL",
            start: "2020-01-01T00:00:00",
            end: "2020-10-26T00:00:00",
            strategy: "sma_cross",
            params: ["fast": .number(5), "slow": .number(20), "k": .number(2.5), "allow_short": .bool(true)],
            stats: report.stats,
            trades: report.trades,
            equity: report.equity,
            cached: false,
            elapsedMs: 0.123_456
        )
    }

    @Test func aBacktestReplyWithTradesAndEquity() throws {
        let reply = try Self.reply(trades: true)
        #expect((reply.trades?.count ?? 0) >= 3)
        #expect(reply.trades?.contains { $0.sl != nil && $0.tp == nil } == true)
        try expectSameJSON(reply)
        // And it decodes back to the same statistics.
        let decoded = try JSONDecoder().decode(BacktestReply.self, from: Data(reply.jsonBytes()))
        #expect(decoded.stats.jsonBytes() == reply.stats.jsonBytes())  // NaN-safe comparison
        #expect(decoded.trades == reply.trades)
        #expect(decoded.equity == reply.equity)
    }

    @Test func undefinedAndInfiniteStatisticsFollowTheWireRules() throws {
        var stats = Statistics()  // every value NaN
        stats.start = 0
        stats.end = 86_400
        stats.sortinoRatio = .infinity
        stats.calmarRatio = -.infinity
        stats.beta = -0.0
        stats.equityFinal = 1e-7
        stats.equityPeak = 1.5e20
        try expectSameJSON(stats)
        let text = String(decoding: stats.jsonBytes(), as: UTF8.self)
        #expect(text.contains(#""sortino_ratio":"Infinity""#))
        #expect(text.contains(#""calmar_ratio":"-Infinity""#))
        #expect(text.contains(#""sharpe_ratio":null"#))
        let decoded = try JSONDecoder().decode(Statistics.self, from: Data(stats.jsonBytes()))
        #expect(decoded.sortinoRatio == .infinity && decoded.calmarRatio == -.infinity && decoded.sharpeRatio.isNaN)
        #expect(decoded.equityFinal == 1e-7 && decoded.equityPeak == 1.5e20)
    }

    @Test func aBatchWithProblemsAndAwkwardStrings() throws {
        let problem = Problem(
            code: .invalidField,
            title: "Invalid \"field\"",
            status: 422,
            detail: "tab\there, newline\nthere, \u{1} and é / \\",
            field: "params.fast",
            requestId: "abc123"
        )
        let batch = BatchReply(results: [
            BatchItem(index: 0, ticker: "AAPL", result: try Self.reply(trades: false)),
            BatchItem(index: 1, ticker: nil, error: problem),
            BatchItem(index: 2, ticker: "MSFT", error: Problem(code: .unknownTicker, title: "Unknown ticker", status: 404, detail: "no")),
        ])
        try expectSameJSON(batch)
        try expectSameJSON(problem)
        try expectSameJSON(JobItemEvent(progress: JobProgress(done: 2, total: 3), item: batch.results[1]))
        try expectSameJSON(JobStatus(id: "j1", status: .done, progress: JobProgress(done: 3, total: 3), results: batch.results))
        try expectSameJSON(JobStatus(id: "j2", status: .running, progress: JobProgress(done: 1, total: 3)))
        let decoded = try JSONDecoder().decode(BatchReply.self, from: Data(batch.jsonBytes()))
        #expect(decoded.results.map(\.index) == [0, 1, 2])
        #expect(decoded.results[1].error == problem)
    }

    @Test func numbersReadBackExactly() throws {
        for value in [
            0.0, -0.0, 1, -1, 0.1, 1.0 / 3, 123_456_789_012, 9_007_199_254_740_991, 9_007_199_254_740_994, 1e300, Double.leastNonzeroMagnitude,
            -2.5e-8,
        ] {
            var writer = JSONWriter()
            writer.array { $0.number(value) }
            let parsed = try JSONDecoder().decode([Double].self, from: Data(writer.bytes))
            #expect(parsed == [value], "\(value) -> \(String(decoding: writer.bytes, as: UTF8.self))")
        }
        var writer = JSONWriter()
        writer.array { w in
            w.integer(Int.min)
            w.integer(Int.max)
            w.bool(false)
            w.null()
        }
        #expect(String(decoding: writer.bytes, as: UTF8.self) == "[-9223372036854775808,9223372036854775807,false,null]")
    }

    @Test func wireDoublesDecodeNumbersNullsInfinitiesAndRefuseTheRest() throws {
        var stats = Statistics()
        stats.start = 0
        stats.end = 86_400
        stats.beta = 0.5
        let text = String(decoding: stats.jsonBytes(), as: UTF8.self)
        #expect(text.contains(#""beta":0.5"#))
        func decode(_ key: String, with value: String) throws -> Statistics {
            let changed = text.replacingOccurrences(of: #""beta":0.5"#, with: "\"\(key)\":\(value)")
            return try JSONDecoder().decode(Statistics.self, from: Data(changed.utf8))
        }
        #expect(try decode("beta", with: "0.5").beta == 0.5)
        #expect(try decode("beta", with: "null").beta.isNaN)
        #expect(try decode("beta", with: #""Infinity""#).beta == .infinity)
        #expect(try decode("beta", with: #""-Infinity""#).beta == -.infinity)
        #expect(throws: DecodingError.self) { try decode("beta", with: #""abc""#) }
        #expect(throws: DecodingError.self) { try decode("beta", with: "true") }
        // A missing key is NaN too (older servers may omit a statistic).
        let missing = text.replacingOccurrences(of: #""beta":0.5,"#, with: "")
        #expect(missing != text)
        #expect(try JSONDecoder().decode(Statistics.self, from: Data(missing.utf8)).beta.isNaN)
    }

    // MARK: - JSONReader (the client's fast path)

    @Test func theReaderDecodesRepliesAsJSONDecoderDoes() throws {
        let problem = Problem(
            code: .invalidField,
            title: "Invalid \"field\"",
            status: 422,
            detail: "tab\there, \u{1}, é, 😀 / \\",
            field: "params.fast",
            requestId: "abc123"
        )
        var infinite = try Self.reply(trades: false)
        infinite.stats.sortinoRatio = .infinity
        infinite.stats.calmarRatio = -.infinity
        let batch = BatchReply(results: [
            BatchItem(index: 0, ticker: "AAPL", result: try Self.reply(trades: true)),
            BatchItem(index: 1, ticker: nil, error: problem),
            BatchItem(index: 2, ticker: "MSFT", result: infinite),
        ])
        for bytes in [batch.jsonBytes(), Array(try JSONEncoder().encode(batch))] {
            let fast = try BatchReply(json: try JSONReader.parse(bytes))
            let reference = try JSONDecoder().decode(BatchReply.self, from: Data(bytes))
            #expect(fast.jsonBytes() == reference.jsonBytes())
            #expect(fast.results[1].error == problem)
            #expect(fast.results[0].result?.trades == reference.results[0].result?.trades)
            #expect(fast.results[2].result?.stats.sortinoRatio == .infinity)
        }
        let single = try Self.reply(trades: true)
        let fast = try BacktestReply(json: try JSONReader.parse(Array(try JSONEncoder().encode(single))))
        #expect(fast.jsonBytes() == single.jsonBytes())
    }

    @Test(arguments: [
        "", "{", "}", "{\"a\":1,}", "[1 2]", "[1,]", "01", "1.", ".5", "-", "1e", "+1", "NaN", "Infinity", "tru", "nul",
        "\"abc", "\"\\x\"", "\"\\u12\"", "\"\\uD800\"", "\"\\uDC00\"", "\"a\u{1}b\"", "{\"a\" 1}", "{1:2}", "[1]x", "1e999",
        String(repeating: "[", count: 300) + String(repeating: "]", count: 300),
    ])
    func theReaderRefusesMalformedJSON(_ text: String) {
        #expect(throws: JSONReadError.self, "\(text.prefix(40))") { try JSONReader.parse(Array(text.utf8)) }
    }

    @Test func theReaderRefusesInvalidUTF8() throws {
        #expect(throws: JSONReadError.self) { try JSONReader.parse([0x22, 0xFF, 0x22]) }
        #expect(throws: JSONReadError.self) { try JSONReader.parse([0x22, 0x5C, 0x6E, 0xC3, 0x22]) }  // after an escape
        #expect(try JSONReader.parse([0x22, 0xC3, 0xA9, 0x22]) == .string("é"))
    }

    @Test func theReaderReadsEscapesNumbersAndWhitespace() throws {
        let value = try JSONReader.parse(
            Array(#" { "s" : "\u00e9\ud83d\ude00\n\/\"" , "n" : [ -0 , 1E+2 , 0.5e-3 , 123456789012345678 ] , "b" : [true,false,null] } "#.utf8)
        )
        #expect(
            value
                == .object([
                    "s": .string("é😀\n/\""),
                    "n": .array([.number(-0.0), .number(100), .number(0.0005), .number(123_456_789_012_345_680)]),
                    "b": .array([.bool(true), .bool(false), .null]),
                ])
        )
    }

    @Test func shapeErrorsNameThePath() throws {
        let bad = #"{"results":[{"index":0,"ticker":"A","error":{"type":"t","title":"x","status":"422","detail":"d"}}]}"#
        let error = #expect(throws: JSONReadError.self) { try BatchReply(json: try JSONReader.parse(Array(bad.utf8))) }
        #expect(error?.message.contains("results[0].error.status") == true, "\(error?.message ?? "")")
    }
}
