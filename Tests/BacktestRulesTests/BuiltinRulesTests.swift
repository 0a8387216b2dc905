import BacktestEngine
import Foundation
import Testing

@testable import BacktestRules

/// The rules sources the server lists for the built-ins are the shipped examples.
struct BuiltinRulesTests {
    @Test("every built-in has a rules source, the text of Examples/rules/NAME.rules, and it compiles")
    func sourcesAreTheExamples() throws {
        #expect(Set(BuiltinRules.sources.keys) == Set(StrategyCatalog.all.map(\.name)))
        for (name, source) in BuiltinRules.sources {
            let file = try String(contentsOf: Paths.examples.appendingPathComponent("\(name).rules"), encoding: .utf8)
            #expect(source + "\n" == file, "\(name)")
            _ = try RulesProgram.compile(source)
        }
    }

    @Test("buy_and_hold's source is the built-in, bit for bit")
    func buyAndHold() throws {
        let program = try RulesProgram.compile(try #require(BuiltinRules.source(for: "buy_and_hold")))
        let rules = try Backtest(bars: TestData.goog).run(try program.strategy())
        let builtin = try Backtest(bars: TestData.goog).run(try StrategyCatalog.make(name: "buy_and_hold", params: [:]))
        #expect(rules.equity == builtin.equity && rules.trades == builtin.trades)
    }
}
