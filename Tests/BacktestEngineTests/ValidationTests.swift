import BacktestAPI
import BacktestEngine
import Foundation
import Testing

@Suite("Input validation")
struct ValidationTests {
    func makeError(_ name: String, _ params: [String: ParameterValue], brackets: Brackets = Brackets()) -> BacktestError? {
        do {
            _ = try StrategyCatalog.make(name: name, params: params, brackets: brackets)
            return nil
        } catch {
            return error
        }
    }

    @Test func unknownStrategyNamesTheChoices() {
        let e = makeError("sma", [:])
        #expect(e?.code == .unknownStrategy)
        #expect(e?.field == "strategy")
        #expect(e?.message.contains("sma_cross") == true)
    }

    @Test func unknownParameter() {
        let e = makeError("sma_cross", ["fats": .number(10)])
        #expect(e?.code == .unknownParameter)
        #expect(e?.field == "params.fats")
    }

    @Test func integerParametersAcceptWholeDoublesOnly() throws {
        #expect(makeError("sma_cross", ["fast": .number(20.0), "slow": .number(40)]) == nil)
        let e = makeError("sma_cross", ["fast": .number(20.5)])
        #expect(e?.field == "params.fast")
        #expect(e?.message.contains("whole number") == true)
    }

    @Test func outOfRangeAndOrdering() {
        #expect(makeError("sma_cross", ["fast": .number(0)])?.field == "params.fast")
        #expect(makeError("sma_cross", ["fast": .number(30), "slow": .number(30)])?.field == "params.fast")
        #expect(makeError("macd_cross", ["fast": .number(30)])?.field == "params.fast")
        #expect(makeError("rsi_reversion", ["lower": .number(80)])?.field == "params.lower")
        #expect(makeError("rsi_reversion", ["upper": .number(101)])?.field == "params.upper")
        #expect(makeError("bollinger", ["k": .number(0)])?.field == "params.k")
        #expect(makeError("bollinger", ["allow_short": .number(2)])?.field == "params.allow_short")
        #expect(makeError("donchian", ["n_entry": .bool(true)])?.field == "params.n_entry")
        #expect(makeError("buy_and_hold", [:], brackets: Brackets(slPct: 1.5))?.field == "sl_pct")
        #expect(makeError("buy_and_hold", [:], brackets: Brackets(tpPct: -0.1))?.field == "tp_pct")
    }

    /// A search builds each combination over the request's parameters without merging them:
    /// the result and every error are those of the merged dictionary.
    @Test(arguments: [
        ("sma_cross", ["fast": ParameterValue.number(5)], ["slow": ParameterValue.number(40)]),
        ("sma_cross", ["fast": .number(5), "slow": .number(40)], ["fast": .number(20)]),
        ("sma_cross", ["fast": .number(5)], ["fast": .number(50)]),
        ("sma_cross", [:], ["fast": .number(5.5)]),
        ("sma_cross", ["zeta": .number(1)], ["alpha": .number(2)]),
        ("sma_cross", ["alpha": .number(1)], ["zeta": .number(2)]),
        ("bollinger", ["allow_short": .bool(true)], ["allow_short": .number(0), "k": .number(1.5)]),
        ("bollinger", [:], ["k": .number(0)]),
        ("macd_cross", ["signal": .number(7)], ["fast": .number(30), "slow": .number(26)]),
        ("rsi_reversion", ["lower": .number(20)], ["upper": .number(15)]),
        ("donchian", [:], ["n_entry": .bool(true)]),
        ("buy_and_hold", [:], [:]),
    ])
    func overlaidParametersAreTheMergedOnes(name: String, base: [String: ParameterValue], overlay: [String: ParameterValue]) {
        let merged = Result { () throws(BacktestError) -> BuiltinStrategy in
            try StrategyCatalog.make(name: name, params: base.merging(overlay) { $1 })
        }
        let overlaid = Result { () throws(BacktestError) -> BuiltinStrategy in
            try StrategyCatalog.make(name: name, params: base, overriding: overlay)
        }
        switch (merged, overlaid) {
        case (.success(let a), .success(let b)):
            #expect(a == b)
        case (.failure(let a), .failure(let b)):
            #expect(a.code == b.code)
            #expect(a.message == b.message)
            #expect(a.field == b.field)
        default:
            Issue.record("merged \(merged), overlaid \(overlaid)")
        }
    }

    @Test func missingRequiredParameterIsNamed() throws {
        // Every built-in parameter has a default; the rule still applies to specs without one.
        var spec = try #require(StrategyCatalog.spec(named: "sma_cross"))
        spec.parameters[0].defaultValue = nil
        do {
            _ = try StrategyCatalog.resolve(spec: spec, params: ["slow": .number(30)])
            Issue.record("expected missing_parameter")
        } catch {
            #expect(error.code == .missingParameter)
            #expect(error.field == "params.fast")
        }
        #expect(try StrategyCatalog.resolve(spec: spec, params: ["fast": .number(5)])["slow"] == .number(30))
    }

    @Test(arguments: [
        (BacktestSettings(cash: 0), "cash"), (BacktestSettings(cash: -5), "cash"), (BacktestSettings(cash: .nan), "cash"),
        (BacktestSettings(commission: Commission(relative: 0.1)), "commission"),
        (BacktestSettings(commission: Commission(relative: -0.2)), "commission"),
        (BacktestSettings(commission: Commission(fixed: -1)), "commission"),
        (BacktestSettings(spread: -0.01), "spread"), (BacktestSettings(margin: 0), "margin"), (BacktestSettings(margin: 1.5), "margin"),
    ])
    func settingsRanges(_ settings: BacktestSettings, _ field: String) {
        #expect(throws: BacktestError.self) { try settings.validate() }
        do { try settings.validate() } catch { #expect(error.field == field) }
    }

    @Test func requestDecodingNamesTheField() {
        func decodeError(_ json: String) -> BacktestError? {
            do {
                _ = try JSONDecoder().decode(BacktestRequest.self, from: Data(json.utf8))
                return nil
            } catch let e as BacktestError {
                return e
            } catch {
                return BacktestError(code: .invalidField, message: "\(error)")
            }
        }
        #expect(decodeError(#"{"strategy":"sma_cross","comission":0.1}"#)?.field == "comission")
        #expect(decodeError(#"{"params":{}}"#)?.field == "strategy")
        #expect(decodeError(#"{"strategy":"sma_cross","cash":"lots"}"#)?.field == "cash")
        #expect(decodeError(#"{"strategy":"sma_cross","commission":[1,2,3]}"#)?.field == "commission")
        #expect(decodeError(#"{"strategy":"sma_cross","params":{"fast":"ten"}}"#)?.field == "params")
        #expect(decodeError(#"{"strategy":"sma_cross","commission":[2,0.001],"params":{"fast":5}}"#) == nil)
    }

    @Test func requestValidationCoversDatesAndIncludes() throws {
        var r = BacktestRequest(start: "2020-05-01", strategy: "sma_cross")
        r.end = "2020-01-01"
        #expect(throws: BacktestError.self) { try r.validated() }
        r.end = "not a date"
        #expect(throws: BacktestError.self) { try r.validated() }
        r.end = nil
        r.include = ["trades", "orders"]
        #expect(throws: BacktestError.self) { try r.validated() }
    }

    @Test func barsRejectInconsistentColumns() {
        #expect(throws: BacktestError.self) { try Bars(timestamps: [0, 1], open: [1], high: [1, 1], low: [1, 1], close: [1, 1]) }
        #expect(throws: BacktestError.self) { try Bars(timestamps: [1, 0], open: [1, 1], high: [1, 1], low: [1, 1], close: [1, 1]) }
        #expect(throws: BacktestError.self) { try Bars(timestamps: [0], open: [1], high: [1], low: [2], close: [1]) }
    }

    @Test func tooFewBars() throws {
        let bars = try Bars(timestamps: [0], open: [1], high: [1], low: [1], close: [1])
        #expect(throws: BacktestError.self) { try Backtest(bars: bars).run(BuyAndHold()) }
    }

    /// Found by the API fuzzer: cash 1e30 or margin 5e-324 made an order size that does not
    /// fit an integer, and the process trapped. Now the run stops with an error naming cash.
    @Test(
        "an order too large to size exactly is an error, not a crash",
        arguments: [(1e30, 1.0), (1e308, 0.5), (10_000, Double.leastNonzeroMagnitude)] as [(Double, Double)]
    )
    func hugeOrders(cash: Double, margin: Double) throws {
        let bars = try Bars(timestamps: [0, 86_400, 172_800], open: [1, 1, 1], high: [1, 1, 1], low: [1, 1, 1], close: [1, 1, 1])
        do {
            _ = try Backtest(bars: bars, settings: BacktestSettings(cash: cash, margin: margin)).run(BuyAndHold())
            Issue.record("expected an error")
        } catch {
            #expect(error.code == .invalidField)
            #expect(error.field == "cash")
            #expect(error.message.contains("too large"))
        }
    }
}
