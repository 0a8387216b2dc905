import BacktestEngine

/// The objective over every pair of parameters, for heatmaps: each cell holds the best
/// objective over the other parameters (as backtesting.py's `plot_heatmaps`, which takes the
/// max over the rest); with one parameter, the objective along it.
///
/// Pure and incremental: rows are added as a search produces them (a server adds its stored
/// units), in any order; ties keep the earlier combination, so the best cell is the search's
/// best.
///
/// ```swift
/// var grid = ObjectiveGrid(axes: space.axes, objective: objective, column: optimizer.objectiveColumn)
/// grid.add(rows)
/// grid.pairs.first?.z    // [[Double?]]: one row per y value, one entry per x value
/// ```
public struct ObjectiveGrid: Sendable {
    /// One pair of parameters.
    public struct Pair: Sendable, Equatable {
        /// The parameter along the x axis, and its values.
        public var x: String
        public var xs: [ParameterValue]
        /// The parameter along the y axis, and its values.
        public var y: String
        public var ys: [ParameterValue]
        /// `z[yIndex][xIndex]`: the best objective with those two values; `nil` where no
        /// combination ran or none traded.
        public var z: [[Double?]]
        /// The best cell (x index, y index), when any cell has a value.
        public var best: (x: Int, y: Int)? {
            guard let cell = bestCell else { return nil }
            return (cell.x, cell.y)
        }
        var bestCell: Cell?
        var sequences: [[Int]]

        public static func == (a: Pair, b: Pair) -> Bool {
            a.x == b.x && a.y == b.y && a.xs == b.xs && a.ys == b.ys && a.z == b.z && a.bestCell == b.bestCell
        }
    }

    /// The objective along the only parameter.
    public struct Line: Sendable, Equatable {
        /// The parameter and its values.
        public var x: String
        public var xs: [ParameterValue]
        /// The objective at each value (`nil`: not run, or no trades).
        public var ys: [Double?]
        /// The best value's index.
        public var best: Int?
    }

    struct Cell: Sendable, Equatable {
        var x: Int
        var y: Int
    }

    private let axes: [ParameterAxis]
    private let objective: Objective
    private let column: Int
    private let indices: [[ParameterValue: Int]]
    /// The pairs, in parameter order (0-1, 0-2, …, 1-2, …).
    public private(set) var pairs: [Pair] = []
    /// With one parameter: the objective along it.
    public private(set) var line: Line?

    /// A grid over `axes`; the objective is column `column` of each row's statistics.
    public init(axes: [ParameterAxis], objective: Objective, column: Int) {
        self.axes = axes
        self.objective = objective
        self.column = column
        indices = axes.map { axis in Dictionary(axis.values.enumerated().map { ($0.element, $0.offset) }, uniquingKeysWith: { a, _ in a }) }
        if axes.count == 1 {
            line = Line(x: axes[0].name, xs: axes[0].values, ys: Array(repeating: nil, count: axes[0].values.count), best: nil)
        }
        for i in axes.indices {
            for j in axes.indices where j > i {
                let empty = [[Double?]](repeating: [Double?](repeating: nil, count: axes[i].values.count), count: axes[j].values.count)
                pairs.append(
                    Pair(
                        x: axes[i].name,
                        xs: axes[i].values,
                        y: axes[j].name,
                        ys: axes[j].values,
                        z: empty,
                        bestCell: nil,
                        sequences: empty.map { $0.map { _ in Int.max } }
                    )
                )
            }
        }
    }

    /// Adds rows (their objective column; NaN means no value).
    public mutating func add(_ rows: [HeatmapRow]) {
        for row in rows {
            guard row.statistics.indices.contains(column), row.values.count == axes.count else { continue }
            let value = row.statistics[column]
            guard !value.isNaN else { continue }
            var position: [Int] = []
            position.reserveCapacity(axes.count)
            for (k, v) in row.values.enumerated() {
                guard let index = indices[k][v] else { break }
                position.append(index)
            }
            guard position.count == axes.count else { continue }
            if line != nil { addToLine(position[0], value) }
            var p = 0
            for i in axes.indices {
                for j in axes.indices where j > i {
                    add(to: &pairs[p], x: position[i], y: position[j], value: value, sequence: row.sequence)
                    p += 1
                }
            }
        }
    }

    private mutating func addToLine(_ x: Int, _ value: Double) {
        guard var line else { return }
        if line.ys[x].map({ objective.isBetter(value, than: $0) }) ?? true { line.ys[x] = value }
        if let best = line.best, let current = line.ys[best] {
            if objective.isBetter(value, than: current) || (value == current && x < best) { line.best = x }
        } else {
            line.best = x
        }
        self.line = line
    }

    private func add(to pair: inout Pair, x: Int, y: Int, value: Double, sequence: Int) {
        let better: Bool
        if let current = pair.z[y][x] {
            better = objective.isBetter(value, than: current) || (value == current && sequence < pair.sequences[y][x])
        } else {
            better = true
        }
        guard better else { return }
        pair.z[y][x] = value
        pair.sequences[y][x] = sequence
        if let cell = pair.bestCell, let current = pair.z[cell.y][cell.x], Cell(x: x, y: y) != cell {
            let beats = objective.isBetter(value, than: current) || (value == current && sequence < pair.sequences[cell.y][cell.x])
            if beats { pair.bestCell = Cell(x: x, y: y) }
        } else if pair.bestCell == nil {
            pair.bestCell = Cell(x: x, y: y)
        }
    }
}
