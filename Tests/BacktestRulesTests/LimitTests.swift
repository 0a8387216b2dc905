import BacktestEngine
import Testing

@testable import BacktestRules

/// Every limit: just under it compiles, over it is a `limit_exceeded` error naming it.
@Suite("Limits")
struct LimitTests {
    func expectLimit(_ source: String, _ limit: String, limits: RulesLimits = RulesLimits(), sourceLocation: SourceLocation = #_sourceLocation) {
        guard let error = compileError(source, limits: limits) else {
            Issue.record("compiled over \(limit)", sourceLocation: sourceLocation)
            return
        }
        #expect(error.code == .limitExceeded, "\(error)", sourceLocation: sourceLocation)
        #expect(error.limit == limit, "\(error)", sourceLocation: sourceLocation)
        #expect(error.message.contains(limit), "\(error)", sourceLocation: sourceLocation)
        #expect(error.line >= 1 && error.column >= 1, sourceLocation: sourceLocation)
    }

    @Test func defaults() {
        let l = RulesLimits()
        #expect(l.maxSourceBytes == 16_384)
        #expect(l.maxStatements == 64)
        #expect(l.maxExpressionNodes == 1_024)
        #expect(l.maxNestingDepth == 64)
        #expect(l.maxIndicators == 32)
        #expect(l.maxLookback == 100_000)
        #expect(l.maxParameters == 32)
        #expect(l.maxActions == 32)
        #expect(l.maxNameLength == 64)
        #expect(RulesLimits(maxActions: 100).maxActions == 64)
    }

    @Test func sourceBytes() throws {
        let line = "enter long when close > open\n"
        let padding = String(repeating: "#", count: 16_384 - line.utf8.count)
        _ = try compile(line + padding)
        expectLimit(line + padding + "#", "maxSourceBytes")
    }

    @Test func statements() throws {
        let body = (0..<63).map { "let x\($0) = close + \($0)" }.joined(separator: "\n")
        _ = try compile(body + "\nexit when close > x1")
        expectLimit(body + "\nlet y = 1\nexit when close > x1", "maxStatements")
    }

    @Test func expressionNodes() throws {
        let limits = RulesLimits(maxExpressionNodes: 7)
        _ = try compile("enter long when close > open + 1 - high", limits: limits)  // 7 nodes
        expectLimit("enter long when close > open + 1 - high * 2", "maxExpressionNodes", limits: limits)
        let many = "exit when close > " + (0..<600).map { _ in "open" }.joined(separator: " + ")
        expectLimit(many, "maxExpressionNodes", limits: RulesLimits(maxNestingDepth: 10_000))
    }

    @Test func nestingDepth() throws {
        _ = try compile("exit when " + String(repeating: "(", count: 60) + "close > open" + String(repeating: ")", count: 60))
        expectLimit("exit when " + String(repeating: "(", count: 100) + "close > open" + String(repeating: ")", count: 100), "maxNestingDepth")
        expectLimit("exit when " + String(repeating: "not ", count: 100) + "close > open", "maxNestingDepth")
        expectLimit("exit when close > " + String(repeating: "-", count: 100) + "open", "maxNestingDepth")
        expectLimit("exit when close > " + (0..<70).map { _ in "open" }.joined(separator: " + "), "maxNestingDepth")
        expectLimit("exit when close > " + String(repeating: "sma(", count: 40) + "close" + String(repeating: ", 2)", count: 40), "maxNestingDepth")
        // A stack-busting input is refused, not a crash.
        expectLimit("exit when " + String(repeating: "(", count: 5_000), "maxNestingDepth")
    }

    @Test func indicators() throws {
        let calls = (1...32).map { "sma(close, \($0))" }.joined(separator: " + ")
        _ = try compile("exit when close > \(calls)", limits: RulesLimits(maxNestingDepth: 200))
        _ = try compile("exit when close > sma(close, 5) + sma(close, 5) + ema(close, 5)", limits: RulesLimits(maxIndicators: 2))
        expectLimit("exit when close > \(calls) + sma(close, 33)", "maxIndicators", limits: RulesLimits(maxNestingDepth: 200))
    }

    @Test func lookback() throws {
        _ = try compile("exit when close > sma(close, 100000) and close[100000] > 0")
        expectLimit("exit when close > sma(close, 100001)", "maxLookback")
        expectLimit("exit when close[100001] > 0", "maxLookback")
        expectLimit("param p = 10\nexit when close > ema(close, p * 20000)", "maxLookback")
        expectLimit("exit when close > sma(close, 11)", "maxLookback", limits: RulesLimits(maxLookback: 10))
        // Values given later are checked too.
        let program = try compile("param p = 10 (1..1000000)\nexit when close > ema(close, p)")
        #expect {
            try program.strategy(params: ["p": .number(200_000)])
        } throws: { error in
            let e = error as? RulesError
            return e?.code == .limitExceeded && e?.limit == "maxLookback" && e?.parameter == "p" && e?.line == 2
        }
    }

    @Test func parameters() throws {
        let params = (0..<32).map { "param p\($0) = \($0)" }.joined(separator: "\n")
        _ = try compile(params)
        expectLimit(params + "\nparam p32 = 1", "maxParameters")
    }

    @Test func actions() throws {
        let actions = (0..<32).map { "exit when close > \($0)" }.joined(separator: "\n")
        _ = try compile(actions)
        expectLimit(actions + "\nexit when close > 99", "maxActions")
    }

    @Test func nameLength() throws {
        let name = String(repeating: "a", count: 64)
        _ = try compile("let \(name) = close\nexit when \(name) > 1")
        expectLimit("let \(name)b = close", "maxNameLength")
    }

    /// The data must be longer than the program's lookback for an action to fire; a run
    /// on shorter data never trades (as a built-in), and `checkLookback` says so.
    @Test func lookbackAgainstTheData() throws {
        let program = try compile("enter long when crossover(close, sma(close, 3000))")
        let strategy = try program.strategy()
        #expect(strategy.lookback == 3000)
        #expect(throws: RulesError.self) { try strategy.checkLookback(bars: TestData.goog.count) }
        try strategy.checkLookback(bars: 3001)
        let result = try Backtest(bars: TestData.goog).run(strategy)
        #expect(result.trades.isEmpty)
    }
}
