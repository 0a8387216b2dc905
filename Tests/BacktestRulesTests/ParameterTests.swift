import BacktestEngine
import Testing

@testable import BacktestRules

/// Parameter declarations, and values checked as the built-ins' are.
@Suite("Parameters")
struct ParameterTests {
    static let source = """
        param fast = 10 (2..200)  # fast period
        param slow = 30 (2..400)
        param k = 2.5  # band width
        param level: float = 50 (0..100)
        param allow_short = false
        param unused = 1
        require fast < slow
        enter long when crossover(ema(close, fast), ema(close, slow))
        enter short when allow_short and rsi(close, fast) > level
        exit when close > bbands(close, slow, k).upper
        """

    @Test func declarations() throws {
        let program = try compile(Self.source)
        let p = program.parameters
        #expect(p.map(\.name) == ["fast", "slow", "k", "level", "allow_short", "unused"])
        #expect(p.map(\.kind) == [.int, .int, .float, .float, .bool, .int])
        #expect(p.map(\.defaultValue) == [.number(10), .number(30), .number(2.5), .number(50), .bool(false), .number(1)])
        #expect(p[0].minimum == 2 && p[0].maximum == 200 && p[2].minimum == nil && p[2].maximum == nil)
        #expect(p[0].summary == "fast period" && p[1].summary == "" && p[2].summary == "band width")
        #expect(program.warnings == ["6:1: parameter 'unused' is never used"])
    }

    @Test func resolveFillsDefaultsAndChecksKinds() throws {
        let program = try compile(Self.source)
        let values = try program.resolve(params: ["fast": .number(5), "allow_short": .number(1)])
        #expect(values["fast"] == .number(5) && values["slow"] == .number(30) && values["allow_short"] == .bool(true))
        #expect(values.count == 6)
    }

    struct Bad: Sendable, CustomTestStringConvertible {
        var params: [String: ParameterValue]
        var code: RulesError.Code
        var parameter: String
        var says: String
        var testDescription: String { "\(params)" }
    }

    static let bad: [Bad] = [
        Bad(params: ["fsat": .number(5)], code: .unknownParameter, parameter: "fsat", says: "unknown parameter 'fsat' (did you mean 'fast'?)"),
        Bad(params: ["fast": .number(1)], code: .parameterOutOfRange, parameter: "fast", says: "expected fast >= 2, found 1"),
        Bad(params: ["slow": .number(401)], code: .parameterOutOfRange, parameter: "slow", says: "expected slow <= 400, found 401"),
        Bad(params: ["fast": .number(5.5)], code: .parameterOutOfRange, parameter: "fast", says: "expected a whole number for fast"),
        Bad(params: ["fast": .number(.nan)], code: .parameterOutOfRange, parameter: "fast", says: "expected a finite number"),
        Bad(params: ["fast": .bool(true)], code: .typeMismatch, parameter: "fast", says: "expected a number for fast, found true"),
        Bad(params: ["allow_short": .number(2)], code: .typeMismatch, parameter: "allow_short", says: "expected true or false"),
        Bad(params: ["level": .number(-1)], code: .parameterOutOfRange, parameter: "level", says: "expected level >= 0"),
        Bad(params: ["fast": .number(40)], code: .requirementFailed, parameter: "fast", says: "expected 'fast < slow' to hold"),
    ]

    @Test("bad values name the parameter", arguments: bad)
    func badValues(_ bad: Bad) throws {
        let program = try compile(Self.source)
        do {
            _ = try program.resolve(params: bad.params)
            Issue.record("accepted \(bad.params)")
        } catch {
            #expect(error.code == bad.code, "\(error)")
            #expect(error.parameter == bad.parameter, "\(error)")
            #expect(error.message.contains(bad.says), "\(error)")
            #expect(error.line >= 1 && error.column >= 1)
        }
    }

    @Test func periodsFromValuesAreChecked() throws {
        let program = try compile("param p = 10.0 (0..100)\nlet a = ema(close, p)\nexit when close > a")
        #expect {
            try program.strategy(params: ["p": .number(2.5)])
        } throws: { error in
            let e = error as? RulesError
            return e?.code == .parameterOutOfRange && e?.parameter == "p" && e?.line == 2 && e?.message.contains("p = 2.5") == true
        }
        #expect(throws: RulesError.self) { try program.strategy(params: ["p": .number(0)]) }
        _ = try program.strategy(params: ["p": .number(3)])
    }

    @Test func bracketsOverrideTheProgramsOwn() throws {
        let program = try compile("stop_loss 2%\ntake_profit 5%\nenter long when close > open")
        #expect(try program.strategy().brackets == Brackets(slPct: 0.02, tpPct: 0.05))
        #expect(try program.strategy(brackets: Brackets(slPct: 0.01)).brackets == Brackets(slPct: 0.01, tpPct: 0.05))
        #expect(try program.strategy(brackets: Brackets(tpPct: 0.1)).brackets == Brackets(slPct: 0.02, tpPct: 0.1))
        #expect(throws: RulesError.self) { try program.strategy(brackets: Brackets(slPct: 1)) }
        #expect(throws: RulesError.self) { try program.strategy(brackets: Brackets(tpPct: -0.1)) }
        let sized = try compile("param s = 50 (1..100)\nparam sl = 1.5\nsize s%\nstop_loss sl%\nenter long when close > open")
        #expect(try sized.strategy().size == 0.5)
        #expect(try sized.strategy().brackets.slPct == 0.015)
        #expect(try sized.strategy(params: ["s": .number(100)]).size == fullEquityFraction)
        #expect(throws: RulesError.self) { try sized.strategy(params: ["sl": .number(100)]) }
        #expect(try compile("enter long when true").strategy().size == fullEquityFraction)
    }

    /// `2%` is exactly the number `0.02`, so a program's own brackets give the same trades
    /// as the engine's flags.
    @Test func percentagesAreExact() throws {
        for (percent, fraction) in [("0.4", 0.004), ("0.8", 0.008), ("2", 0.02), ("0.35", 0.0035), ("1.1e1", 0.11), ("7", 0.07)] {
            #expect(RulesFormat.percent(percent) == fraction, "\(percent)")
        }
        let program = try RulesProgram.compile(try Paths.example("sma_cross"))
        let own = try RulesProgram.compile(try Paths.example("sma_cross") + "\nstop_loss 0.4%\ntake_profit 0.8%\n")
        let a = try Backtest(bars: TestData.goog).run(try program.strategy(brackets: Brackets(slPct: 0.004, tpPct: 0.008)))
        let b = try Backtest(bars: TestData.goog).run(try own.strategy())
        expectIdentical(b, a, "stop_loss 0.4% vs sl_pct 0.004")
    }

    @Test func warnings() throws {
        let program = try compile(
            """
            param p = 3
            let unused = sma(close, 5)
            exit long when close > open
            exit short when close < open
            reverse when close > high
            """
        )
        #expect(
            program.warnings == [
                "1:1: parameter 'p' is never used", "2:1: 'unused' is never used", "3:1: 'exit long' never fires: nothing enters a long position",
                "4:1: 'exit short' never fires: nothing enters a short position", "5:1: 'reverse' never fires: nothing enters a position",
                "5:1: no 'enter' statement: the program never opens a position",
            ]
        )
        #expect(try compile("").warnings == ["1:1: no 'enter' statement: the program never opens a position"])
    }

    @Test func indicatorSummaries() throws {
        let program = try RulesProgram.compile(try Paths.example("macd_cross"))
        #expect(program.indicatorSummaries == ["macd(close, fast, slow, signal)"])
        let bollinger = try RulesProgram.compile(try Paths.example("bollinger"))
        #expect(bollinger.indicatorSummaries == ["bbands(close, period, k)"])
        let other = try compile("let f = sma(close, 5)\nexit when crossover(f, ema(f, 3)) or rsi(close, 14)[1] > 70")
        #expect(other.indicatorSummaries == ["sma(close, 5)", "ema(sma(close, 5), 3)", "rsi(close, 14)"])
    }
}
