/// The limits a rules program is compiled under. Every one bounds the work or memory a
/// program can ask for; a program over a limit is refused with a ``RulesError`` of code
/// ``RulesError/Code/limitExceeded`` that names the field (``RulesError/limit``).
///
/// The defaults suit programs sent to a shared server:
///
/// ```swift
/// var limits = RulesLimits()
/// limits.maxIndicators = 8
/// let program = try RulesProgram.compile(source, limits: limits)
/// ```
public struct RulesLimits: Sendable, Hashable {
    /// Largest source, in UTF-8 bytes. Default 16,384.
    public var maxSourceBytes: Int
    /// Most statements (non-blank, non-comment lines). Default 64.
    public var maxStatements: Int
    /// Most expression nodes in the whole program (each number, name, operator, call,
    /// field and history counts one). Default 1,024.
    public var maxExpressionNodes: Int
    /// Deepest expression: levels of the expression tree (each operator, call, field or
    /// history is one level; `a + b + c` is three) and of parentheses. Default 64.
    public var maxNestingDepth: Int
    /// Most distinct indicator calls (`sma(close, fast)` used twice counts once). Default 32.
    public var maxIndicators: Int
    /// Largest window or history offset, in bars: every indicator period and every `x[n]`.
    /// Default 100,000 (the built-in strategies' largest period).
    public var maxLookback: Int
    /// Most `param` declarations. Default 32.
    public var maxParameters: Int
    /// Most action statements (`enter`, `exit`, `reverse`). Default 32 (at most 64).
    public var maxActions: Int
    /// Longest name (parameter or `let`), in bytes. Default 64.
    public var maxNameLength: Int

    /// Creates limits; every argument defaults to the documented default.
    public init(
        maxSourceBytes: Int = 16_384,
        maxStatements: Int = 64,
        maxExpressionNodes: Int = 1_024,
        maxNestingDepth: Int = 64,
        maxIndicators: Int = 32,
        maxLookback: Int = 100_000,
        maxParameters: Int = 32,
        maxActions: Int = 32,
        maxNameLength: Int = 64
    ) {
        self.maxSourceBytes = maxSourceBytes
        self.maxStatements = maxStatements
        self.maxExpressionNodes = maxExpressionNodes
        self.maxNestingDepth = maxNestingDepth
        self.maxIndicators = maxIndicators
        self.maxLookback = maxLookback
        self.maxParameters = maxParameters
        self.maxActions = min(maxActions, 64)
        self.maxNameLength = maxNameLength
    }
}
