import BacktestEngine
import Testing

@testable import BacktestRules

/// The examples in Examples/rules against the built-in strategies they reproduce: the same
/// trades, equity and statistics, bit for bit, on the conformance data, with several
/// parameter sets, brackets and engine settings.
@Suite("Examples are the built-ins, bit for bit")
struct ExactnessTests {
    typealias Params = [String: ParameterValue]

    static func n(_ v: Double) -> ParameterValue { .number(v) }

    /// Parameter sets per strategy (defaults first).
    static let parameterSets: [String: [Params]] = [
        "sma_cross": [
            [:], ["fast": n(5), "slow": n(20)], ["fast": n(20), "slow": n(50)], ["fast": n(2), "slow": n(3)], ["fast": n(7), "slow": n(13)],
        ],
        "sma_cross_reverse": [
            [:], ["fast": n(5), "slow": n(20)], ["fast": n(20), "slow": n(50)], ["fast": n(2), "slow": n(3)], ["fast": n(3), "slow": n(150)],
        ],
        "rsi_reversion": [
            [:], ["period": n(7), "lower": n(25), "upper": n(75)], ["period": n(21), "lower": n(40), "upper": n(60)],
            ["period": n(2), "lower": n(10.5), "upper": n(90)],
        ],
        "bollinger": [
            [:], ["allow_short": .bool(true)], ["period": n(10), "k": n(1.5), "allow_short": .bool(true)], ["period": n(50), "k": n(3)],
            ["period": n(5), "k": n(0.5), "allow_short": .bool(true)],
        ],
        "macd_cross": [
            [:], ["allow_short": .bool(true)], ["fast": n(5), "slow": n(35), "signal": n(5), "allow_short": .bool(true)],
            ["fast": n(8), "slow": n(17), "signal": n(9)], ["fast": n(3), "slow": n(10), "signal": n(16), "allow_short": .bool(true)],
        ],
        "donchian": [
            [:], ["n_entry": n(10), "n_exit": n(5)], ["n_entry": n(55), "n_exit": n(20)], ["n_entry": n(5), "n_exit": n(30)],
            ["n_entry": n(1), "n_exit": n(1)],
        ],
    ]

    static let bracketSets: [Brackets] = [
        Brackets(), Brackets(slPct: 0.004, tpPct: 0.008), Brackets(slPct: 0.02), Brackets(tpPct: 0.05), Brackets(slPct: 0.1, tpPct: 0.2),
    ]

    static let settingSets: [(String, BacktestSettings)] = [
        ("defaults", BacktestSettings()),
        ("commission+finalize", BacktestSettings(commission: Commission(relative: 0.002), finalizeTrades: true)),
    ]

    static let datasets: [(String, Bars)] = [("GOOG", TestData.goog), ("EURUSD", TestData.eurusd), ("BTCUSD", TestData.btcusd)]

    func compare(_ name: String, _ params: Params, _ brackets: Brackets, _ settings: BacktestSettings, _ bars: Bars, _ label: String) throws {
        let program = try RulesProgram.compile(try Paths.example(name))
        let builtin = try StrategyCatalog.make(name: name, params: params, brackets: brackets)
        let expected = try Backtest(bars: bars, settings: settings).run(builtin)
        let actual = try Backtest(bars: bars, settings: settings).run(try program.strategy(params: params, brackets: brackets))
        expectIdentical(actual, expected, label)
    }

    @Test("example vs built-in", arguments: Paths.exampleNames)
    func example(_ name: String) async throws {
        let sets = try #require(Self.parameterSets[name])
        var runs = 0
        var trades = 0
        for (dataName, bars) in Self.datasets {
            for params in sets {
                // CPU-bound: let the other suites' tasks run on the cooperative pool now and then.
                await Task.yield()
                for brackets in Self.bracketSets {
                    for (settingsName, settings) in Self.settingSets {
                        let label = "\(name) \(dataName) \(params) \(brackets) \(settingsName)"
                        try compare(name, params, brackets, settings, bars, label)
                        runs += 1
                    }
                }
            }
            let builtin = try StrategyCatalog.make(name: name, params: [:])
            trades += try Backtest(bars: bars).run(builtin).trades.count
        }
        #expect(runs >= 120)
        #expect(trades > 10, "the default runs trade")
    }

    /// The other engine flags: spread, margin, trade on close, hedging, exclusive orders.
    @Test("engine flags apply as to the built-ins", arguments: Paths.exampleNames)
    func engineFlags(_ name: String) throws {
        let settings: [BacktestSettings] = [
            BacktestSettings(cash: 1_000_000, commission: Commission(fixed: 3, relative: 0.001), spread: 0.0005),
            BacktestSettings(margin: 0.25, tradeOnClose: true),
            BacktestSettings(hedging: true, exclusiveOrders: true),
            BacktestSettings(commission: Commission(relative: 0.01), hedging: true, finalizeTrades: true),
        ]
        let shortParams: Params = ["bollinger": ["allow_short": .bool(true)], "macd_cross": ["allow_short": .bool(true)]][name] ?? [:]
        for (k, s) in settings.enumerated() {
            for brackets in [Brackets(), Brackets(slPct: 0.004, tpPct: 0.008)] {
                try compare(name, shortParams, brackets, s, TestData.goog, "\(name) settings #\(k) \(brackets)")
            }
        }
    }

    /// A search hands each run an IndicatorCache: same results with and without it.
    @Test func indicatorCacheGivesTheSameResults() throws {
        let program = try RulesProgram.compile(try Paths.example("sma_cross"))
        let cache = IndicatorCache()
        for (fast, slow) in [(5, 20), (10, 30), (5, 30), (10, 20)] {
            let params: Params = ["fast": .number(Double(fast)), "slow": .number(Double(slow))]
            let expected = try Backtest(bars: TestData.goog).run(try StrategyCatalog.make(name: "sma_cross", params: params))
            let cached = try Backtest(bars: TestData.goog).run(try program.strategy(params: params), cache: cache)
            expectIdentical(cached, expected, "cached \(fast)/\(slow)")
        }
        #expect(cache.count == 4, "the rules' SMAs came from the cache")
    }

    /// The comparison does see differences (a different strategy, a 1e-12 change of the stop).
    @Test func comparisonDetectsDifferences() throws {
        let program = try RulesProgram.compile(try Paths.example("sma_cross"))
        let rules = try Backtest(bars: TestData.goog).run(try program.strategy())
        let other = try Backtest(bars: TestData.goog).run(try StrategyCatalog.make(name: "sma_cross_reverse", params: [:]))
        withKnownIssue { expectIdentical(rules, other, "different strategies") }
        let sl = try Backtest(bars: TestData.goog).run(try program.strategy(brackets: Brackets(slPct: 0.02)))
        let nudged = try Backtest(bars: TestData.goog).run(try program.strategy(brackets: Brackets(slPct: 0.02 * (1 + 1e-12))))
        withKnownIssue { expectIdentical(sl, nudged, "a 1e-12 change of the stop") }
    }

    /// `enter long when true` is buy-and-hold.
    @Test func buyAndHold() throws {
        let program = try RulesProgram.compile("enter long when true")
        for brackets in Self.bracketSets {
            let expected = try Backtest(bars: TestData.goog).run(try StrategyCatalog.make(name: "buy_and_hold", params: [:], brackets: brackets))
            let actual = try Backtest(bars: TestData.goog).run(try program.strategy(brackets: brackets))
            expectIdentical(actual, expected, "buy and hold \(brackets)")
        }
    }

    /// The examples declare the built-ins' parameters exactly (names, kinds, defaults,
    /// bounds, summaries), and refuse what the built-ins refuse.
    @Test("parameters are the built-in's", arguments: Paths.exampleNames)
    func parameters(_ name: String) throws {
        let program = try RulesProgram.compile(try Paths.example(name))
        let spec = try #require(StrategyCatalog.spec(named: name))
        #expect(program.parameters == spec.parameters)
        #expect(program.warnings.isEmpty, "\(program.warnings)")
        let bad: [Params] = [["nope": .number(1)], [spec.parameters[0].name: .number(0)], [spec.parameters[0].name: .number(1.5)]]
        for params in bad {
            #expect(throws: BacktestError.self) { try StrategyCatalog.make(name: name, params: params) }
            #expect(throws: RulesError.self) { try program.strategy(params: params) }
        }
    }

    /// The built-ins' cross-parameter checks are `require` statements.
    @Test func requirementsMirrorTheBuiltInChecks() throws {
        let cases: [(String, Params)] = [
            ("sma_cross", ["fast": .number(30), "slow": .number(10)]),
            ("sma_cross_reverse", ["fast": .number(30), "slow": .number(30)]),
            ("rsi_reversion", ["lower": .number(80)]),
            ("bollinger", ["k": .number(0)]),
            ("macd_cross", ["fast": .number(40)]),
        ]
        for (name, params) in cases {
            #expect(throws: BacktestError.self) { try StrategyCatalog.make(name: name, params: params) }
            let program = try RulesProgram.compile(try Paths.example(name))
            #expect {
                try program.strategy(params: params)
            } throws: { error in
                (error as? RulesError)?.code == .requirementFailed
            }
        }
    }

    /// The same indicators registered (warm-up) and drawn (names, panels, levels) as the
    /// built-ins.
    @Test("reports show the built-in's indicators", arguments: Paths.exampleNames)
    func indicators(_ name: String) throws {
        let params: Params = name == "bollinger" || name == "macd_cross" ? ["allow_short": .bool(true)] : [:]
        let program = try RulesProgram.compile(try Paths.example(name))
        let expected = try Backtest(bars: TestData.goog).run(try StrategyCatalog.make(name: name, params: params))
        let actual = try Backtest(bars: TestData.goog).run(try program.strategy(params: params))
        #expect(actual.indicators.map(\.name) == expected.indicators.map(\.name))
        #expect(actual.indicators.map(\.panel) == expected.indicators.map(\.panel))
        #expect(actual.indicators.map(\.levels) == expected.indicators.map(\.levels))
        #expect(actual.indicators.map(\.style) == expected.indicators.map(\.style))
        for (a, e) in zip(actual.indicators, expected.indicators) {
            #expect(a.values.count == e.values.count)
            #expect(zip(a.values, e.values).allSatisfy { sameBits($0, $1) }, "\(a.name) values")
        }
    }
}
