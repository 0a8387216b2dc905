import BacktestAPI
import BacktestEngine
import Testing

@testable import BacktestOptimize

@Suite("grids, constraints and objectives")
struct SearchDefinitionTests {
    @Test("ranges include HI like range(LO, HI + 1, STEP); lists keep order, drop duplicates")
    func axes() throws {
        #expect(try ParameterAxis(parsing: "fast=5..50:5").values == stride(from: 5.0, through: 50, by: 5).map { .number($0) })
        #expect(try ParameterAxis(parsing: "slow = 10..200:10").values.count == 20)
        #expect(try ParameterAxis(parsing: "k=1..2:0.25").values == [1, 1.25, 1.5, 1.75, 2].map { .number($0) })
        #expect(try ParameterAxis(parsing: "sl_pct=0.01..0.05:0.01").values.count == 5)
        #expect(try ParameterAxis(parsing: "n=3..10:4").values == [3, 7].map { .number($0) })
        #expect(try ParameterAxis(parsing: "allow_short=true,false,true").values == [.bool(true), .bool(false)])
        #expect(try ParameterAxis(parsing: "p=30,10,20").values == [30, 10, 20].map { .number($0) })
    }

    @Test(
        "bad grid entries are refused, naming the entry",
        arguments: [
            ("fast=5..50:0", "the step must be positive"), ("fast=50..5:5", "above HI"), ("fast=5..50", "needs a step"),
            ("fast=a,b", "'a' is not a number"), ("fast", "expected KEY="), ("=1,2", "not a parameter name"),
            ("fast=", "no values"), ("fast=1..1e9:1", "over the limit"), ("fast=1,,2", "'' is not a number"),
        ]
    )
    func badAxes(spec: String, message: String) {
        do {
            _ = try ParameterAxis(parsing: spec)
            Issue.record("'\(spec)' was accepted")
        } catch {
            #expect(error.code == .invalidGrid)
            #expect(error.message.contains(message), "\(error.message)")
            #expect(error.message.contains(spec))
        }
    }

    @Test("constraints: comparisons joined by and; booleans count as 1/0")
    func constraints() throws {
        let c = try ParameterConstraint(parsing: "fast < slow and slow <= 100 and 2 != fast", parameters: ["fast", "slow"])
        #expect(c.admits(["fast": .number(10), "slow": .number(30)]))
        #expect(!c.admits(["fast": .number(30), "slow": .number(30)]))
        #expect(!c.admits(["fast": .number(10), "slow": .number(110)]))
        #expect(!c.admits(["fast": .number(2), "slow": .number(30)]))
        let b = try ParameterConstraint(parsing: "allow_short == true and k>=1.5", parameters: ["allow_short", "k"])
        #expect(b.admits(["allow_short": .bool(true), "k": .number(1.5)]))
        #expect(!b.admits(["allow_short": .bool(false), "k": .number(2)]))
    }

    @Test(
        "bad constraints name the column and what was expected",
        arguments: [
            ("fast <", "column 7: expected a parameter or a number"), ("fast slow", "column 6: expected a comparison"),
            ("fast < slow or x", "column 13: expected 'and' or the end"), ("fast < speed", "column 8: unknown parameter 'speed'"),
            ("import os", "column 1: unknown parameter 'import'"), ("fast =< slow", "column 6: expected a comparison"),
            ("", "column 1: expected a parameter or a number"),
        ]
    )
    func badConstraints(text: String, message: String) {
        do {
            _ = try ParameterConstraint(parsing: text, parameters: ["fast", "slow"])
            Issue.record("'\(text)' was accepted")
        } catch {
            #expect(error.code == .invalidConstraint)
            #expect(error.message.contains(message), "\(error.message)")
        }
    }

    @Test("the product runs first parameter outermost; the limit counts it before the constraint")
    func spaces() throws {
        let space = try SearchSpace(
            axes: [try ParameterAxis(parsing: "a=1,2"), try ParameterAxis(parsing: "b=10,20,30")],
            constraint: "a < b"
        )
        #expect(space.count == 6)
        #expect((0..<6).map { space.values(at: $0) } == [[1, 10], [1, 20], [1, 30], [2, 10], [2, 20], [2, 30]].map { $0.map { .number($0) } })
        #expect(throws: OptimizeError.self) { _ = try SearchSpace(axes: [try ParameterAxis(parsing: "a=1..1000:1")], limit: 999) }
        #expect(throws: OptimizeError.self) { _ = try SearchSpace(axes: [try ParameterAxis(parsing: "a=1"), try ParameterAxis(parsing: "a=2")]) }
        #expect(throws: OptimizeError.self) { _ = try SearchSpace(axes: []) }
    }

    @Test("objectives take reference keys; unknown ones list the keys")
    func objectives() throws {
        #expect(try Objective(maximize: "sqn").statistic.name == "sqn")
        #expect(try Objective(minimize: "max_drawdown_pct").maximizes == false)
        do {
            _ = try Objective(maximize: "SQN")
            Issue.record("SQN was accepted")
        } catch {
            #expect(error.code == .unknownStatistic)
            #expect(error.message.contains("sharpe_ratio"))
        }
        #expect(StatisticKey.all.map(\.name).contains("trades"))
        #expect(StatisticKey.all.count == 30)
    }

    @Test("the heatmap CSV: parameters, then statistics; NaN empty")
    func heatmapCSV() {
        let csv = HeatmapCSV(parameters: ["fast", "slow"], statistics: ["sqn", "trades"])
        #expect(csv.header == "fast,slow,sqn,trades\n")
        let rows = [
            HeatmapRow(sequence: 0, values: [.number(5), .number(10)], statistics: [1.25, 12]),
            HeatmapRow(sequence: 1, values: [.number(5), .number(20)], statistics: [.nan, 0]),
        ]
        #expect(csv.lines(rows) == "5,10,1.25,12\n5,20,,0\n")
    }
}
