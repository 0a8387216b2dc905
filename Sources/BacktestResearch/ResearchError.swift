/// An error of a robustness computation's input: too few trials or periods, a bad block
/// count, a return that is not a finite number. A stable ``code`` and a message that names
/// the value at fault.
public struct ResearchError: Error, Sendable, Equatable, CustomStringConvertible {
    /// What kind of error: see ``Code``.
    public var code: Code
    /// What went wrong, for people.
    public var message: String

    /// Creates an error.
    public init(code: Code, message: String) {
        self.code = code
        self.message = message
    }

    public var description: String { message }
}

extension ResearchError {
    /// The kind of a ``ResearchError``.
    public enum Code: String, Sendable, Hashable, CaseIterable {
        /// The block count is odd, below 2, or leaves a block with fewer than 2 periods.
        case invalidBlocks = "invalid_blocks"
        /// Fewer than 2 trials.
        case tooFewTrials = "too_few_trials"
        /// A trial's returns do not have the layout's number of periods.
        case lengthMismatch = "length_mismatch"
        /// A return is NaN or infinite.
        case nonFiniteReturn = "non_finite_return"
        /// Two sets of block statistics over different periods or blocks were merged.
        case layoutMismatch = "layout_mismatch"
        /// A bootstrap of no trades, or of a non-finite trade return.
        case invalidTrades = "invalid_trades"
    }
}
