/// An error of an optimisation's definition: a bad grid, constraint, objective or limit. A
/// stable ``code`` and a message that names the flag, the column or the value.
public struct OptimizeError: Error, Sendable, Equatable, CustomStringConvertible {
    /// What kind of error: see ``Code``.
    public var code: Code
    /// What went wrong, for people.
    public var message: String
    /// The request field at fault (`grid`, `constraint`, `objective`, …), when there is one.
    public var field: String?

    /// Creates an error.
    public init(code: Code, message: String, field: String? = nil) {
        self.code = code
        self.message = message
        self.field = field
    }

    public var description: String { message }
}

extension OptimizeError {
    /// The kind of an ``OptimizeError``.
    ///
    /// New codes may be added; switch over them with a `default` branch.
    public struct Code: Hashable, Sendable, CustomStringConvertible {
        private enum Base: String, Sendable {
            case invalidGrid = "invalid_grid"
            case invalidConstraint = "invalid_constraint"
            case unknownParameter = "unknown_parameter"
            case unknownStatistic = "unknown_statistic"
            case emptyGrid = "empty_grid"
            case tooManyCombinations = "too_many_combinations"
            case invalidCombination = "invalid_combination"
            case invalidWalkForward = "invalid_walk_forward"
            case invalidSearch = "invalid_search"
        }

        private let base: Base
        private init(_ base: Base) { self.base = base }

        /// A `--grid` entry that does not parse (a step of 0, `LO > HI`, a bad number).
        public static let invalidGrid = Code(.invalidGrid)
        /// A constraint that does not parse or names an unknown parameter.
        public static let invalidConstraint = Code(.invalidConstraint)
        /// A grid parameter the strategy does not have.
        public static let unknownParameter = Code(.unknownParameter)
        /// An objective or reported statistic that does not exist.
        public static let unknownStatistic = Code(.unknownStatistic)
        /// No combination satisfies the constraint.
        public static let emptyGrid = Code(.emptyGrid)
        /// More combinations than the configured limit.
        public static let tooManyCombinations = Code(.tooManyCombinations)
        /// A combination the strategy refuses (e.g. `fast >= slow` without a constraint).
        public static let invalidCombination = Code(.invalidCombination)
        /// A walk-forward specification that does not parse or does not fit the data.
        public static let invalidWalkForward = Code(.invalidWalkForward)

        /// Search settings that do not go together or are out of range (`maximize` with
        /// `minimize`, `max_tries` without the random method, a negative `top`, …).
        public static let invalidSearch = Code(.invalidSearch)

        /// The stable name, e.g. `empty_grid`.
        public var rawValue: String { base.rawValue }

        public var description: String { rawValue }
    }
}
