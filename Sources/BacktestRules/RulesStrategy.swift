import BacktestEngine

/// A compiled rules program with its parameter values: a ``Strategy`` like the built-ins.
/// Created by ``RulesProgram/strategy(params:brackets:)``.
///
/// `setup` computes every indicator over all bars and evaluates every condition into one
/// bit per action and bar; `next` reads the bar's bits and places the orders.
///
/// ```swift
/// let program = try RulesProgram.compile(source)
/// let strategy = try program.strategy(params: ["fast": .number(10)])
/// let result = try Backtest(bars: bars).run(strategy, cache: cache)
/// ```
public struct RulesStrategy: Strategy, Sendable {
    /// The program.
    public let program: RulesProgram
    /// Every parameter with its value (defaults filled in).
    public let parameters: [String: ParameterValue]
    /// The stop-loss and take-profit distances in force: the engine's (`sl_pct`, `tp_pct`)
    /// where given, else the program's `stop_loss`/`take_profit`.
    public let brackets: Brackets
    /// The order size: a fraction of available equity (``fullEquityFraction`` for all).
    public let size: Double
    /// The longest lookback of the program's indicators and history, in bars (the data
    /// needs more bars than this for any action to fire).
    public var lookback: Int { plan.lookback }

    let plan: RulesPlan
    /// The plan's actions, one code each (bit `k` of ``masks`` is action `k`).
    private let codes: [RulesSyntax.Action]
    /// One bit per action per bar, filled in `setup`.
    private var masks: [UInt64] = []

    init(program: RulesProgram, parameters: [String: ParameterValue], plan: RulesPlan, brackets: Brackets) {
        self.program = program
        self.parameters = parameters
        self.plan = plan
        self.brackets = brackets
        self.size = plan.size
        self.codes = plan.actions.map(\.action)
    }

    /// Computes the indicators and the conditions over all bars and registers the
    /// indicators with the engine (warm-up and reports).
    public mutating func setup(_ setup: inout StrategySetup) {
        var evaluator = RulesEvaluator(plan: plan, bars: setup.bars)
        evaluator.run(&setup)
        evaluator.register(&setup)
        masks = evaluator.masks()
    }

    /// Runs the actions whose conditions hold on this bar, in source order. Each sees the
    /// position the orders placed before it on this bar will leave (see docs/rules.md).
    public mutating func next(_ context: inout StrategyContext) throws(BacktestError) {
        // Most bars have no action: keep this path free of the order-placing code.
        let i = context.index
        guard i < masks.count else { return }
        let bits = masks[i]
        if bits != 0 { try act(bits, &context) }
    }

    /// The first bar at or after `bar` on which some action's condition holds; the end of the
    /// conditions when none does. ``next(_:)`` reads only the bar's bits and the position, so
    /// it does nothing on the bars skipped: the run computes their equity without calling it,
    /// as for the built-ins' crossovers.
    public mutating func nextDecisionBar(from bar: Int) -> Int {
        masks.withUnsafeBufferPointer { masks in
            var k = max(0, bar)
            while k < masks.count && masks[k] == 0 { k += 1 }
            return k
        }
    }

    @inline(never)
    private func act(_ bits: UInt64, _ context: inout StrategyContext) throws(BacktestError) {
        var bits = bits
        let size = context.position.size
        var side = size > 0 ? 1 : size < 0 ? -1 : 0
        while bits != 0 {
            let k = bits.trailingZeroBitCount
            bits &= bits - 1
            switch codes[k] {
            case .enterLong where side == 0:
                try buy(&context)
                side = 1
            case .enterShort where side == 0:
                try sell(&context)
                side = -1
            case .exitLong where side > 0, .exitShort where side < 0, .exitAny where side != 0:
                context.closePosition()
                side = 0
            case .reverse where side > 0:
                context.closePosition()
                try sell(&context)
                side = -1
            case .reverse where side < 0:
                context.closePosition()
                try buy(&context)
                side = 1
            default:
                break
            }
        }
    }

    /// A long entry with the brackets as fractions of the signal bar's close (as the
    /// built-ins' `Brackets.buy`).
    @inline(__always)
    private func buy(_ context: inout StrategyContext) throws(BacktestError) {
        let c = context.bars.close[context.index]
        try context.buy(size: size, sl: brackets.slPct.map { c * (1 - $0) }, tp: brackets.tpPct.map { c * (1 + $0) })
    }

    @inline(__always)
    private func sell(_ context: inout StrategyContext) throws(BacktestError) {
        let c = context.bars.close[context.index]
        try context.sell(size: size, sl: brackets.slPct.map { c * (1 + $0) }, tp: brackets.tpPct.map { c * (1 - $0) })
    }
}

extension RulesStrategy {
    /// Throws when the data is too short for the program: its ``lookback`` is not below
    /// `bars` (no action could ever fire). Runs do not check this themselves, as a
    /// built-in with a period longer than the data simply never trades.
    public func checkLookback(bars: Int) throws(RulesError) {
        guard lookback < bars else {
            throw RulesError(
                .limitExceeded,
                at: SourcePosition(line: 1, column: 1),
                "the program looks back \(lookback) bars; the data has only \(bars)",
                limit: "maxLookback"
            )
        }
    }
}
