import BacktestAPI
import BacktestEngine
import Foundation
import Testing

@testable import BacktestOptimize

/// The heatmap reduction: the best objective over the other parameters, per pair.
struct ObjectiveGridTests {
    static func axis(_ text: String) throws -> ParameterAxis { try ParameterAxis(parsing: text) }

    @Test("each cell is the best over the other parameters; the best cell is the search's best; NaN is no value")
    func pairs() async throws {
        let axes = [try Self.axis("a=1,2"), try Self.axis("b=10,20,30"), try Self.axis("c=0,1")]
        let objective = try Objective(maximize: "sqn")
        var grid = ObjectiveGrid(axes: axes, objective: objective, column: 0)
        let space = try SearchSpace(axes: axes)
        var rows: [HeatmapRow] = []
        for index in 0..<space.count {
            let v = space.values(at: index)
            guard case .number(let a) = v[0], case .number(let b) = v[1], case .number(let c) = v[2] else { continue }
            // a=2, b=20 never trades; the best is a=2, b=30, c=1.
            let value = a == 2 && b == 20 ? Double.nan : a * 100 + b + c * 5
            rows.append(HeatmapRow(sequence: index, values: v, statistics: [value]))
        }
        grid.add(Array(rows.reversed()))  // order of arrival does not matter
        #expect(grid.pairs.map { "\($0.x)-\($0.y)" } == ["a-b", "a-c", "b-c"])
        let ab = grid.pairs[0]
        #expect(ab.z == [[115, 215], [125, nil], [135, 235]])
        #expect(ab.best?.x == 1 && ab.best?.y == 2)
        let bc = grid.pairs[2]
        #expect(bc.z[1] == [215, 125, 235])  // c=1; at b=20 only a=1 has a value
        #expect(grid.line == nil)

        var minimizing = ObjectiveGrid(axes: axes, objective: try Objective(minimize: "sqn"), column: 0)
        minimizing.add(rows)
        #expect(minimizing.pairs[0].z[0] == [110, 210])
        #expect(minimizing.pairs[0].best?.x == 0 && minimizing.pairs[0].best?.y == 0)
    }

    @Test("one parameter: the objective along it; ties keep the earlier combination")
    func line() async throws {
        let axes = [try Self.axis("n=1..4:1")]
        var grid = ObjectiveGrid(axes: axes, objective: try Objective(maximize: "sqn"), column: 1)
        grid.add([
            HeatmapRow(sequence: 0, values: [.number(1)], statistics: [0, 2]),
            HeatmapRow(sequence: 1, values: [.number(2)], statistics: [0, 5]),
            HeatmapRow(sequence: 2, values: [.number(3)], statistics: [0, .nan]),
            HeatmapRow(sequence: 3, values: [.number(4)], statistics: [0, 5]),
        ])
        #expect(grid.line?.ys == [2, 5, nil, 5])
        #expect(grid.line?.best == 1)
        #expect(grid.pairs.isEmpty)
    }
}
