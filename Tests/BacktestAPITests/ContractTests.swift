import BacktestAPI
import BacktestContract
import BacktestEngine
import BacktestJSON
import Foundation
import MarketData
import Testing

/// The API document holds the replies to their schemas: every reply type, as `JSONWriter`
/// and as `JSONEncoder` write it, validates; a reply with a member the document does not
/// know, a missing member or a wrong type does not.
@Suite("API contract")
struct ContractTests {
    static let validator = JSONSchemaValidator(root: APIDocument.value)

    /// The violations of `bytes` against the component schema `name`.
    static func violations(_ bytes: [UInt8], _ name: String) throws -> [SchemaViolation] {
        validator.validate(try JSONReader.parse(bytes), against: APIDocument.schema(name))
    }

    static func encoded<T: Encodable>(_ value: T) throws -> [UInt8] {
        Array(try JSONEncoder().encode(value))
    }

    static var statistics: Statistics {
        var stats = Statistics()
        stats.start = 1_577_836_800
        stats.end = 1_609_372_800
        stats.trades = 3
        stats.returnPct = 12.5
        stats.sharpeRatio = .nan
        stats.profitFactor = .infinity
        stats.sortinoRatio = -.infinity
        stats.equityFinal = 11_250
        return stats
    }

    static var reply: BacktestReply {
        let trade = TradeRecord(
            size: -12,
            entryBar: 3,
            exitBar: 9,
            entryPrice: 101.5,
            exitPrice: 99,
            sl: nil,
            tp: 95.25,
            pnl: 30,
            returnPct: 0.0246,
            commission: 0,
            entryTime: 1_578_268_800,
            exitTime: 1_578_787_200
        )
        return BacktestReply(
            ticker: "AAPL",
            start: "2020-01-02T00:00:00",
            end: "2020-12-31T00:00:00",
            strategy: "sma_cross",
            params: ["fast": .number(10), "slow": .number(30.5), "allow_short": .bool(true)],
            stats: statistics,
            trades: [trade],
            equity: [10_000, 10_000.5, .nan],
            cached: true,
            elapsedMs: 0.25
        )
    }

    static var problem: Problem {
        Problem(code: .invalidField, title: "Invalid field", status: 422, detail: "cash: must be positive", field: "cash", requestId: "r-1")
    }

    static var items: [BatchItem] {
        [BatchItem(index: 0, ticker: "AAPL", result: reply), BatchItem(index: 1, ticker: "TSLA", error: problem)]
    }

    @Test("every reply type validates, written by JSONWriter and by JSONEncoder")
    func repliesValidate() throws {
        let writable: [(String, any JSONWritable & Encodable)] = [
            ("BacktestReply", Self.reply), ("Problem", Self.problem), ("BatchReply", BatchReply(results: Self.items)),
            ("JobStatus", JobStatus(id: "j1", status: .done, progress: .init(done: 2, total: 2), results: Self.items)),
            ("JobStatus", JobStatus(id: "j1", status: .running, progress: .init(done: 1, total: 2))),
            ("JobItemEvent", JobItemEvent(progress: .init(done: 1, total: 2), item: Self.items[1])),
            ("Statistics", Self.statistics),
        ]
        for (name, value) in writable {
            #expect(try Self.violations(value.jsonBytes(), name) == [], "JSONWriter, \(name)")
            #expect(try Self.violations(Self.encoded(value), name) == [], "JSONEncoder, \(name)")
        }
        let encodable: [(String, any Encodable)] = [
            ("Health", Health(status: "ok", version: "1", uptimeS: 2.5, workers: 2, inFlight: 0, queued: 0)),
            ("StrategyList", StrategyList(strategies: StrategyCatalog.all.map(StrategyInfo.init))),
            (
                "TickerList",
                TickerList(tickers: [TickerInfo(ticker: "AAPL", first: "2013-01-02", last: "2023-12-29", bars: 2_767, source: "bundled")])
            ),
            (
                "TickerImport",
                TickerImport(ticker: "T", bars: 2, first: "a", last: "b", source: "upload", contentHash: "ab", replaced: 0, warnings: ["gap"])
            ),
            ("TickerRemoval", TickerRemoval(ticker: "T", bars: 2)),
            ("JobCreated", JobCreated(id: "j1", statusUrl: "/v1/jobs/j1", eventsUrl: "/v1/jobs/j1/events")),
        ]
        for (name, value) in encodable {
            #expect(try Self.violations(Self.encoded(value), name) == [], "JSONEncoder, \(name)")
        }
    }

    @Test("a member the document does not know, a missing member and a wrong type are violations")
    func driftIsCaught() throws {
        guard case .object(var reply) = try JSONReader.parse(Self.reply.jsonBytes()) else {
            Issue.record("not an object")
            return
        }
        var extra = reply
        extra["duration_ms"] = 3
        #expect(Self.validator.validate(.object(extra), against: APIDocument.schema("BacktestReply")).map(\.path) == ["$.duration_ms"])

        guard case .object(var stats) = reply["stats"] else {
            Issue.record("no stats")
            return
        }
        stats["sqn_ratio"] = 1
        stats["sqn"] = nil
        reply["stats"] = .object(stats)
        let violations = Self.validator.validate(.object(reply), against: APIDocument.schema("BacktestReply"))
        #expect(violations.contains { $0.path == "$.stats" && $0.message.contains("'sqn'") })
        #expect(violations.contains { $0.path == "$.stats.sqn_ratio" })

        var wrong = try JSONReader.parse(Self.problem.jsonBytes()).objectValue ?? [:]
        wrong["status"] = "422"
        #expect(Self.validator.validate(.object(wrong), against: APIDocument.schema("Problem")).map(\.path) == ["$.status"])

        // A batch item is a result or an error, never both.
        let both = BatchItem(index: 0, ticker: "A", result: Self.reply, error: Self.problem)
        #expect(try !Self.violations(both.jsonBytes(), "BatchItem").isEmpty)
    }

    @Test("the statistics schema lists exactly the statistics a reply carries")
    func statisticsSchemaMatchesTable() throws {
        let written = try #require(try JSONReader.parse(Self.statistics.jsonBytes()).objectValue)
        let documented = try #require(Self.validator.resolve("#/components/schemas/Statistics")?["properties"]?.objectValue)
        #expect(Set(written.keys) == Set(documented.keys))
    }

    @Test("the document's ticker pattern accepts exactly the symbols the store accepts")
    func tickerPattern() throws {
        let pattern = try Regex(Schema.tickerPattern)
        let samples = [
            "AAPL", "^GSPC", "BRK.B", "EUR=X", "a_b-c", ".X", "", String(repeating: "A", count: 32), String(repeating: "A", count: 33), "A B", "A/B",
            "Ä", "A%5E",
        ]
        for sample in samples {
            #expect((sample.wholeMatch(of: pattern) != nil) == MarketDataError.isValidTicker(sample), "\(sample)")
        }
    }

    @Test("the document's request examples are valid requests")
    func examplesValidate() throws {
        for (name, example) in APIDocument.examples {
            #expect(Self.validator.validate(example, against: APIDocument.schema(name)) == [], "\(name)")
        }
    }

    @Test("every $ref in the document resolves")
    func referencesResolve() {
        var dangling: [String] = []
        func walk(_ value: JSONValue) {
            switch value {
            case .object(let members):
                if let ref = members["$ref"]?.stringValue, Self.validator.resolve(ref) == nil { dangling.append(ref) }
                members.values.forEach(walk)
            case .array(let elements): elements.forEach(walk)
            default: break
            }
        }
        walk(APIDocument.value)
        #expect(dangling == [])
    }

    @Test(
        "the validator's keywords",
        arguments: [
            (#"{"type": "integer"}"#, "3", true), (#"{"type": "integer"}"#, "3.5", false), (#"{"type": "integer"}"#, "true", false),
            (#"{"type": ["number", "null"]}"#, "null", true), (#"{"enum": ["a", "b"]}"#, #""c""#, false),
            (#"{"const": "ready"}"#, #""ready""#, true), (#"{"minimum": 0}"#, "-1", false), (#"{"exclusiveMinimum": 0}"#, "0", false),
            (#"{"maxItems": 1}"#, "[1, 2]", false), (#"{"items": {"type": "string"}}"#, #"["a", 1]"#, false),
            (#"{"oneOf": [{"type": "number"}, {"minimum": 0}]}"#, "5", false), (#"{"anyOf": [{"type": "string"}, {"type": "null"}]}"#, "1", false),
            (#"{"required": ["a"], "properties": {"a": {}}, "additionalProperties": false}"#, #"{"a": 1}"#, true),
            (#"{"required": ["a"], "properties": {"a": {}}, "additionalProperties": false}"#, #"{"a": 1, "b": 2}"#, false),
            (#"{"additionalProperties": {"type": "boolean"}}"#, #"{"x": 1}"#, false),
        ]
    )
    func keywords(schema: String, value: String, valid: Bool) throws {
        let violations = JSONSchemaValidator(root: nil).validate(
            try JSONReader.parse(Array(value.utf8)),
            against: try JSONReader.parse(Array(schema.utf8))
        )
        #expect(violations.isEmpty == valid, "\(violations)")
    }
}
