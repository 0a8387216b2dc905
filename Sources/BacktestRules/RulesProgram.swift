import BacktestEngine

/// A compiled rules program: checked, with its parameters, its canonical text and its
/// indicator graph. Immutable and `Sendable`; compile once, run with many parameter sets.
///
/// ```swift
/// let program = try RulesProgram.compile("""
///     param fast = 10 (1..100000)
///     param slow = 30 (1..100000)
///     require fast < slow
///     enter long when crossover(sma(close, fast), sma(close, slow))
///     exit long when crossover(sma(close, slow), sma(close, fast))
///     """)
/// let strategy = try program.strategy(params: ["fast": .number(5)], brackets: Brackets(slPct: 0.02))
/// let result = try Backtest(bars: bars).run(strategy)
/// ```
///
/// The language is described in docs/rules.md. ``RulesProgramCache`` keeps compiled
/// programs by their canonical text.
public struct RulesProgram: Sendable, Hashable {
    /// What equivalent sources (same canonical text) share.
    final class Core: Sendable {
        let ir: RulesIR
        let canonicalSource: String
        let fingerprint: String
        let limits: RulesLimits

        init(ir: RulesIR, canonicalSource: String, limits: RulesLimits) {
            self.ir = ir
            self.canonicalSource = canonicalSource
            self.fingerprint = Self.fnv1a(canonicalSource)
            self.limits = limits
        }

        /// FNV-1a, 64 bits, of the UTF-8 text, as 16 hex digits.
        static func fnv1a(_ text: String) -> String {
            var h: UInt64 = 0xcbf2_9ce4_8422_2325
            for b in text.utf8 {
                h ^= UInt64(b)
                h = h &* 0x0000_0100_0000_01b3
            }
            let hex = String(h, radix: 16)
            return String(repeating: "0", count: 16 - hex.count) + hex
        }
    }

    let core: Core
    /// Where each statement of this source starts.
    let positions: [SourcePosition]
    /// The comment ending each statement's line (a parameter's summary).
    let comments: [String?]

    var ir: RulesIR { core.ir }

    /// Compiles `source`: parses, checks names, types, arguments and limits, and checks
    /// that the parameters' defaults are a valid parameter set.
    ///
    /// - Throws: ``RulesError`` with the line and column of the first error.
    public static func compile(_ source: String, limits: RulesLimits = RulesLimits()) throws(RulesError) -> RulesProgram {
        try compile(try RulesParser.parse(source, limits: limits), limits: limits)
    }

    static func compile(_ syntax: RulesSyntax.Program, limits: RulesLimits) throws(RulesError) -> RulesProgram {
        let ir = try RulesAnalyzer.analyze(syntax, limits: limits)
        let core = Core(ir: ir, canonicalSource: syntax.canonicalText, limits: limits)
        let program = RulesProgram(core: core, syntax: syntax)
        _ = try program.instantiate([:])
        return program
    }

    init(core: Core, syntax: RulesSyntax.Program) {
        self.core = core
        self.positions = syntax.statements.map(\.position)
        self.comments = syntax.statements.map(\.comment)
    }

    /// The canonical text: one statement per line, no comments, normalised spacing,
    /// numbers and parentheses. Sources that differ only in layout and comments have the
    /// same canonical text, and it compiles to the same program.
    public var canonicalSource: String { core.canonicalSource }

    /// A 64-bit FNV-1a hash of ``canonicalSource``, as 16 hex digits (a cache key).
    public var fingerprint: String { core.fingerprint }

    /// How many action statements (`enter`, `exit`, `reverse`) the program has.
    public var actionCount: Int { core.ir.actions.count }

    /// The limits the program was compiled under.
    public var limits: RulesLimits { core.limits }

    /// The canonical text of every indicator call the actions use, in order of first use,
    /// e.g. `sma(close, fast)` or `macd(close, fast, slow, signal)` (`let` names replaced).
    public var indicatorSummaries: [String] { core.ir.indicatorSummaries }

    /// Things that are legal but probably not meant, as `line:column: message`: a parameter
    /// or `let` never used, an `exit long` with nothing entering long, no `enter` at all.
    public var warnings: [String] {
        core.ir.warnings.map { "\(position(of: $0.statement)): \($0.message)" }
    }

    /// The parameters, in declaration order, as the built-in strategies describe theirs:
    /// kind (`int` for a default written without a fraction, `float` with one, `bool` for
    /// `true`/`false`, or as annotated), default, bounds, and the line's comment as summary.
    public var parameters: [ParameterSpec] {
        core.ir.parameters.compactMap { p in
            let comment = positions.indices.contains(p.statement) ? comments[p.statement] : nil
            return Self.spec(p, summary: comment ?? "")
        }
    }

    /// The position of statement `k` in this source (1:1 if there is none).
    func position(of k: Int) -> SourcePosition {
        positions.indices.contains(k) ? positions[k] : SourcePosition(line: 1, column: 1)
    }

    /// The ``ParameterSpec`` of a declared parameter.
    private static func spec(_ p: RulesIR.Parameter, summary: String) -> ParameterSpec? {
        ParameterSpec(name: p.name, kind: p.kind, defaultValue: p.defaultValue, minimum: p.minimum, maximum: p.maximum, summary: summary)
    }

    /// Programs are equal when their canonical texts and limits are.
    public static func == (a: RulesProgram, b: RulesProgram) -> Bool {
        a.core === b.core || (a.core.canonicalSource == b.core.canonicalSource && a.core.limits == b.core.limits)
    }

    /// Hashes the canonical text and limits.
    public func hash(into hasher: inout Hasher) {
        hasher.combine(core.canonicalSource)
        hasher.combine(core.limits)
    }
}
