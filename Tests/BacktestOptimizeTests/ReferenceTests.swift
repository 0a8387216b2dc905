import BacktestAPI
import BacktestEngine
import Foundation
import MarketData
import Testing

@testable import BacktestOptimize

/// The optimizer against backtesting.py 0.6.6's `Backtest.optimize` (fixtures written by
/// `Tools/conformance/generate_optimize.py`): the best parameters, every statistic of the best
/// run, and every heatmap value, NaN included, at 1e-9.
@Suite("optimize against backtesting.py")
struct ReferenceTests {
    struct Reference: Decodable {
        struct Case: Decodable {
            struct Axis: Decodable {
                var name: String
                var values: [Double]
            }
            struct Goal: Decodable {
                var key: String
                var maximize: Bool
            }
            var data: String
            var strategy: String
            var params: [String: Double]
            var cash: Double
            var commission: Double
            var spread: Double
            var margin: Double
            var trade_on_close: Bool
            var hedging: Bool
            var exclusive_orders: Bool
            var finalize_trades: Bool
            var sl_pct: Double?
            var tp_pct: Double?
            var grid: [Axis]
            var constraint: String?
            var objective: Goal
        }
        struct Best: Decodable {
            var params: [String: Double]
            var stats: [String: JSONNumberOrNull]
        }
        struct Cell: Decodable {
            var params: [String: Double]
            var value: Double?
        }
        var name: String
        var `case`: Case
        var best: Best
        var heatmap: [Cell]
    }

    /// A statistic as the fixtures write it: a number, `null` (NaN), a string (dates, infinities).
    enum JSONNumberOrNull: Decodable {
        case number(Double)
        case text(String)
        case null
        init(from decoder: any Decoder) throws {
            let c = try decoder.singleValueContainer()
            if c.decodeNil() {
                self = .null
            } else if let v = try? c.decode(Double.self) {
                self = .number(v)
            } else {
                self = .text(try c.decode(String.self))
            }
        }
        var value: Double? {
            switch self {
            case .number(let v): v
            case .null: .nan
            case .text("Infinity"): .infinity
            case .text("-Infinity"): -.infinity
            case .text: nil
            }
        }
    }

    static let folder = Fixtures.engine.appendingPathComponent("optimize")

    static func files() -> [String] {
        ((try? FileManager.default.contentsOfDirectory(atPath: folder.path)) ?? []).filter { $0.hasSuffix(".json") }.sorted()
    }

    static func close(_ a: Double, _ b: Double) -> Bool {
        if a.isNaN || b.isNaN { return a.isNaN && b.isNaN }
        if a.isInfinite || b.isInfinite { return a == b }
        return abs(a - b) <= 1e-9 * max(1, abs(b))
    }

    @Test("there are reference grids") func present() {
        #expect(Self.files().count >= 2)
    }

    @Test("best parameters, best statistics and every heatmap value", arguments: files())
    func reference(file: String) async throws {
        let reference = try JSONDecoder().decode(Reference.self, from: Data(contentsOf: Self.folder.appendingPathComponent(file)))
        let c = reference.case
        var request = BacktestRequest(strategy: c.strategy)
        request.params = c.params.mapValues { .number($0) }
        request.cash = c.cash
        request.commission = Commission(relative: c.commission)
        request.spread = c.spread
        request.margin = c.margin
        request.tradeOnClose = c.trade_on_close
        request.hedging = c.hedging
        request.exclusiveOrders = c.exclusive_orders
        request.finalizeTrades = c.finalize_trades
        request.slPct = c.sl_pct
        request.tpPct = c.tp_pct
        let bars = try CSVBarsParser.load(path: Fixtures.engine.appendingPathComponent("data/\(c.data)").path)
        let target = try StrategyTarget(bars: bars, request: request)
        let space = try SearchSpace(
            axes: try c.grid.map { try ParameterAxis(name: $0.name, values: $0.values.map { .number($0) }) },
            constraint: c.constraint
        )
        let objective = try Objective(statistic: c.objective.key, maximizes: c.objective.maximize)
        let optimizer = Optimizer(space: space, target: target, configuration: .init(objective: objective, concurrency: 2, chunkSize: 7))
        let rows = LockedRows()
        let result = try await optimizer.run(rows: { rows.append($0) })

        // The best combination.
        let best = Dictionary(uniqueKeysWithValues: result.best.parameters.map { ($0.name, $0.value) })
        #expect(best == reference.best.params.mapValues { .number($0) }, "\(file)")
        for key in StatisticKey.all {
            guard let expected = reference.best.stats[key.name]?.value else {
                Issue.record("\(file): the reference has no \(key.name)")
                continue
            }
            let actual = key.value(in: result.best.statistics)
            #expect(Self.close(actual, expected), "\(file) best \(key.name): \(actual) vs \(expected)")
        }
        // Every heatmap value, in backtesting.py's order.
        let heatmap = rows.rows
        #expect(heatmap.count == reference.heatmap.count, "\(file)")
        for (row, cell) in zip(heatmap, reference.heatmap) {
            let params = Dictionary(uniqueKeysWithValues: zip(space.axes.map(\.name), row.values))
            #expect(params == cell.params.mapValues { .number($0) }, "\(file) row \(row.sequence)")
            #expect(Self.close(row.statistics[0], cell.value ?? .nan), "\(file) \(params): \(row.statistics[0]) vs \(String(describing: cell.value))")
        }
        #expect(result.evaluated == reference.heatmap.count)
    }
}
