import BacktestEngine

/// The combinations of a search: the product of its axes (the first parameter outermost, as
/// `itertools.product`), less those the constraint refuses.
///
/// ```swift
/// let space = try SearchSpace(axes: [fast, slow], constraint: "fast < slow")
/// space.count                 // 200 in the product
/// space.parameters(at: 0)     // ["fast": 5, "slow": 10]
/// ```
public struct SearchSpace: Sendable, Hashable {
    /// The parameters and their values, in order.
    public var axes: [ParameterAxis]
    /// Which combinations are admissible; `nil` admits all.
    public var constraint: ParameterConstraint?

    /// The most combinations (of the product, before the constraint) a search may have by
    /// default: 1,000,000.
    public static let defaultLimit = 1_000_000

    /// Creates a space; `constraint` is parsed against the axes' names.
    ///
    /// - Throws: ``OptimizeError``: `invalid_grid` for a parameter given twice or no axis,
    ///   `invalid_constraint`, `too_many_combinations` beyond `limit`.
    public init(axes: [ParameterAxis], constraint: String? = nil, limit: Int = SearchSpace.defaultLimit) throws(OptimizeError) {
        guard !axes.isEmpty else {
            throw OptimizeError(code: .invalidGrid, message: "no --grid given: nothing to search", field: "grid")
        }
        var names = Set<String>()
        for axis in axes where !names.insert(axis.name).inserted {
            throw OptimizeError(code: .invalidGrid, message: "--grid \(axis.name) is given twice", field: "grid")
        }
        var product = 1
        for axis in axes {
            let (p, overflow) = product.multipliedReportingOverflow(by: axis.values.count)
            guard !overflow, p <= limit else {
                let sizes = axes.map { "\($0.values.count)" }.joined(separator: " x ")
                throw OptimizeError(
                    code: .tooManyCombinations,
                    message: "the grid has \(sizes) combinations, over the limit of \(limit)",
                    field: "grid"
                )
            }
            product = p
        }
        self.axes = axes
        let trimmed = constraint?.trimmed ?? ""
        self.constraint = trimmed.isEmpty ? nil : try ParameterConstraint(parsing: trimmed, parameters: axes.map(\.name))
    }

    /// Combinations in the product, before the constraint.
    public var count: Int { axes.reduce(1) { $0 * $1.values.count } }

    /// The parameters of combination `index` of the product (mixed radix, the last axis
    /// fastest).
    public func parameters(at index: Int) -> [String: ParameterValue] {
        var result: [String: ParameterValue] = [:]
        result.reserveCapacity(axes.count)
        var rest = index
        for axis in axes.reversed() {
            let n = axis.values.count
            result[axis.name] = axis.values[rest % n]
            rest /= n
        }
        return result
    }

    /// The values of combination `index`, in axis order.
    public func values(at index: Int) -> [ParameterValue] {
        var result = [ParameterValue](repeating: .number(0), count: axes.count)
        var rest = index
        for (k, axis) in axes.enumerated().reversed() {
            let n = axis.values.count
            result[k] = axis.values[rest % n]
            rest /= n
        }
        return result
    }

    /// The indices of the admissible combinations, in product order.
    public func admissible() -> [Int] {
        guard let constraint else { return Array(0..<count) }
        return (0..<count).filter { constraint.admits(parameters(at: $0)) }
    }
}
