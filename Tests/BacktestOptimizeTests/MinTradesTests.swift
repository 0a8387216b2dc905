import BacktestAPI
import BacktestEngine
import Foundation
import Testing

@testable import BacktestOptimize

/// The trade floor (`min_trades`): combinations with fewer trades are counted and listed, never
/// chosen; a winner with few trades gets a warning.
@Suite("the trade floor")
struct MinTradesTests {
    /// sqn and trades per x: the best sqn (x = 4) rests on 2 trades.
    static let target = TableTarget(table: [1: (2, 40), 2: (3, 35), 3: (1, 12), 4: (50, 2), 5: (9, 0), 6: (4, 9)])

    func run(_ minTrades: Int, top: Int = 10) async throws -> (OptimizationResult, Optimizer<TableTarget>, [HeatmapRow]) {
        var objective = try Objective(maximize: "sqn")
        objective.minTrades = minTrades
        let optimizer = Optimizer(
            space: try SearchSpace(axes: ["x=1..6:1", "y=0"].map { try ParameterAxis(parsing: $0) }),
            target: Self.target,
            configuration: .init(objective: objective, topCount: top, concurrency: 2, chunkSize: 2)
        )
        let collected = LockedRows()
        let result = try await optimizer.run(rows: { collected.append($0) })
        return (result, optimizer, collected.rows.sorted { $0.sequence < $1.sequence })
    }

    @Test("without a floor the 2-trade combination wins, and the report warns in one sentence naming --min-trades")
    func noFloorWarns() async throws {
        let (result, optimizer, _) = try await run(0)
        #expect(result.best.parameters[0].value == .number(4))
        #expect(result.belowMinTrades == 0)
        let report = OptimizationReport(result: result, optimizer: optimizer)
        #expect(report.minTrades == nil)
        #expect(report.belowMinTrades == nil)
        #expect(report.warnings.count == 1)
        #expect(report.warnings[0].contains("only 2 trades"))
        #expect(report.warnings[0].contains("--min-trades"))
        let json = String(decoding: try JSONEncoder().encode(report), as: UTF8.self)
        #expect(json.contains("\"warnings\":["))
        #expect(!json.contains("min_trades\":"))
    }

    @Test("with a floor of 10 the winner has at least 10 trades; the others are counted, listed, and NaN in the heatmap")
    func floorChoosesAmongEnoughTrades() async throws {
        let (result, optimizer, rows) = try await run(10)
        #expect(result.best.parameters[0].value == .number(2))
        #expect(result.best.statistics.trades >= 10)
        #expect(result.top.map { $0.parameters[0].value } == [2, 1, 3].map { .number($0) })
        // x = 4 (2 trades) and x = 6 (9 trades) are below the floor; x = 5 made none.
        #expect(result.belowMinTrades == 2)
        #expect(result.withoutTrades == 1)
        #expect(result.evaluated == 6)
        #expect(rows.count == 6)
        let column = optimizer.objectiveColumn
        #expect(rows.map { $0.statistics[column].isNaN } == [false, false, false, true, true, true])
        var grid = ObjectiveGrid(axes: optimizer.space.axes, objective: optimizer.configuration.objective, column: column)
        grid.add(rows)
        #expect(grid.pairs[0].z[0][3] == nil)
        #expect(grid.pairs[0].z[0][1] == 3)
        let csv = HeatmapCSV(parameters: ["x", "y"], statistics: optimizer.configuration.statistics.map(\.name)).lines(rows)
        #expect(csv.split(separator: "\n")[3] == "4,0,,2")
        let report = OptimizationReport(result: result, optimizer: optimizer)
        #expect(report.minTrades == 10)
        #expect(report.belowMinTrades == 2)
        #expect(report.warnings.isEmpty)
        let decoded = try JSONDecoder().decode(OptimizationReport.self, from: try JSONEncoder().encode(report))
        #expect(decoded.minTrades == 10)
        #expect(decoded.belowMinTrades == 2)
    }

    @Test("a floor nothing reaches: the first combination is shown with no objective, and a warning says to lower it")
    func floorNothingReaches() async throws {
        let (result, optimizer, _) = try await run(100)
        #expect(result.best.objective == nil)
        #expect(result.best.parameters[0].value == .number(1))
        #expect(result.top.isEmpty)
        #expect(result.belowMinTrades == 5)
        let report = OptimizationReport(result: result, optimizer: optimizer)
        #expect(report.warnings.count == 1)
        #expect(report.warnings[0].contains("at least 100 trades"))
    }

    @Test("min_trades is read from the request; a negative or huge one names the field")
    func requestField() throws {
        let body = #"{"backtest": {"ticker": "GOOG", "strategy": "sma_cross"}, "grid": ["fast=5,10"], "min_trades": 30}"#
        let request = try JSONDecoder().decode(OptimizationRequest.self, from: Data(body.utf8))
        #expect(request.minTrades == 30)
        #expect(try request.searchObjective().minTrades == 30)
        let encoded = String(decoding: try JSONEncoder().encode(request), as: UTF8.self)
        #expect(encoded.contains("\"min_trades\":30"))
        for bad in [-1, OptimizationRequest.maxMinTrades + 1] {
            var wrong = request
            wrong.minTrades = bad
            #expect(throws: OptimizeError.self) { try wrong.searchObjective() }
            do {
                _ = try wrong.searchObjective()
            } catch {
                #expect(error.field == "min_trades")
                #expect(error.message.contains("\(bad)"))
            }
        }
        let text = #"{"backtest": {"ticker": "GOOG", "strategy": "sma_cross"}, "grid": ["fast=5,10"], "min_trades": "many"}"#
        #expect(throws: BacktestError.self) { try JSONDecoder().decode(OptimizationRequest.self, from: Data(text.utf8)) }
    }

    @Test("the default floor keeps backtesting.py's choice on GOOG (sma_cross, maximize sqn)")
    func defaultKeepsReference() async throws {
        let target = try Fixtures.target(BacktestRequest(strategy: "sma_cross"))
        let space = try SearchSpace(axes: ["fast=5..50:5", "slow=10..100:10"].map { try ParameterAxis(parsing: $0) }, constraint: "fast < slow")
        let plain = Optimizer(space: space, target: target, configuration: .init(objective: try Objective(maximize: "sqn"), concurrency: 2))
        var zero = try Objective(maximize: "sqn")
        zero.minTrades = 0
        let floored = Optimizer(space: space, target: target, configuration: .init(objective: zero, concurrency: 2))
        let a = try await plain.run()
        let b = try await floored.run()
        #expect(a.best.parameters.map(\.value) == b.best.parameters.map(\.value))
        #expect(a.best.objective == b.best.objective)
        var thirty = try Objective(maximize: "sqn")
        thirty.minTrades = 30
        let c = try await Optimizer(space: space, target: target, configuration: .init(objective: thirty, concurrency: 2)).run()
        #expect(c.best.statistics.trades >= 30)
        #expect(c.belowMinTrades > 0)
    }
}
