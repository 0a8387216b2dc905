import BacktestEngine
import Foundation
import Testing

@testable import BacktestRules

@Suite("Canonical form and cache")
struct CanonicalTests {
    static let plain = """
        param fast = 10 (1..100000)
        param k = 2.0
        let b = bbands(close, fast, k)
        enter long when crossover(sma(close, fast), b.lower) and not (close > open or high < low)
        exit long when close - (open - low) > b.upper * 1.5
        """

    static let messy = """
        # a comment
        param   fast=10(1..100000)   # with a summary

        param k = 2.00
          let b=bbands( close ,fast,k )
        enter long when ((crossover(sma(close, fast), (b.lower)))) and not ((close > open) or (high < low))
        exit long when (close - (open - low)) > ((b.upper) * 1.50)   # trailing
        """

    @Test func layoutCommentsAndParenthesesDoNotMatter() throws {
        let a = try compile(Self.plain)
        let b = try compile(Self.messy)
        #expect(a.canonicalSource == b.canonicalSource)
        #expect(a.fingerprint == b.fingerprint && a.fingerprint.count == 16)
        #expect(a == b && a.hashValue == b.hashValue)
        #expect(a.canonicalSource == Self.plain + "\n")
    }

    @Test func meaningDoes() throws {
        let pairs = [
            ("exit when close > open + high + low", "exit when close > open + (high + low)"),
            ("exit when close > open - high - low", "exit when close > open - (high - low)"),
            ("exit when close > open / high * low", "exit when close > open / (high * low)"),
            ("param k = 2\nexit when close > k", "param k = 2.0\nexit when close > k"),
            ("exit when close > 1", "exit when close >= 1"),
            ("exit long when close > 1", "exit when close > 1"),
        ]
        for (x, y) in pairs {
            #expect(try compile(x).canonicalSource != compile(y).canonicalSource, "\(x) vs \(y)")
        }
    }

    @Test("canonical text compiles to itself", arguments: Paths.exampleNames)
    func roundTrip(_ name: String) throws {
        let program = try RulesProgram.compile(try Paths.example(name))
        let again = try compile(program.canonicalSource)
        #expect(again.canonicalSource == program.canonicalSource)
        #expect(again.parameters.map(\.name) == program.parameters.map(\.name))
        #expect(!program.canonicalSource.contains("#"))
    }

    @Test func canonicalNumbersAndForms() throws {
        let program = try compile(
            """
            param a: float = 3 (0..10)
            param b = -2 (-5..)
            param c = 0.5e1 (..1e3)
            size 0.50
            stop_loss 1.50%
            exit when close > 1e20 + 0.001 - -a * b + c
            """
        )
        #expect(
            program.canonicalSource == """
                param a = 3.0 (0.0..10.0)
                param b = -2 (-5..)
                param c = 5.0 (..1000.0)
                size 0.5
                stop_loss 1.5%
                exit when close > 1e+20 + 0.001 - -a * b + c

                """
        )
        #expect(try compile(program.canonicalSource).canonicalSource == program.canonicalSource)
    }

    @Test func cacheSharesEquivalentPrograms() throws {
        let cache = RulesProgramCache(capacity: 2)
        let a = try cache.program(for: Self.plain)
        let b = try cache.program(for: Self.messy)
        #expect(a == b && cache.count == 1)
        #expect(a.core === b.core, "compiled once")
        // Each source keeps its own line numbers and comments.
        #expect(a.parameters[0].summary == "" && b.parameters[0].summary == "with a summary")
        let badValue: [String: ParameterValue] = ["fast": .number(0)]
        #expect(throws: RulesError.self) { try a.resolve(params: badValue) }
        do {
            _ = try b.resolve(params: badValue)
        } catch {
            #expect(error.line == 2, "the messy source declares fast on line 2: \(error)")
        }
        _ = try cache.program(for: Self.plain)
        #expect(cache.counts.misses == 1 && cache.counts.hits == 2)
        // Bounded: the least recently used goes.
        _ = try cache.program(for: "exit when close > 1")
        _ = try cache.program(for: "exit when close > 2")
        #expect(cache.count == 2)
        #expect(throws: RulesError.self) { try cache.program(for: "exit when") }
        #expect(cache.count == 2, "errors are not cached")
        // Different limits are different entries.
        _ = try cache.program(for: "exit when close > 2", limits: RulesLimits(maxIndicators: 1))
        #expect(cache.counts.misses == 4)
    }

    @Test func cacheIsThreadSafe() async throws {
        let cache = RulesProgramCache(capacity: 8)
        let sources = (0..<16).map { "param p = \($0 + 2)\nenter long when close > sma(close, p)\n" + String(repeating: " ", count: $0 % 3) }
        try await withThrowingTaskGroup(of: String.self) { group in
            for k in 0..<200 {
                group.addTask { try cache.program(for: sources[k % sources.count]).canonicalSource }
            }
            for try await text in group { #expect(text.hasPrefix("param p = ")) }
        }
        #expect(cache.count <= 8)
    }
}
