/// A parameter value as it arrives from JSON or the command line.
public enum ParameterValue: Sendable, Hashable, CustomStringConvertible {
    case number(Double)
    case bool(Bool)

    public var description: String {
        switch self {
        case .number(let v): return v.rounded() == v && abs(v) < 1e15 ? String(Int64(v)) : String(v)
        case .bool(let b): return String(b)
        }
    }

    /// Parses command-line text: `true`/`false`, or a number.
    public init?(text: String) {
        switch text.lowercased() {
        case "true": self = .bool(true)
        case "false": self = .bool(false)
        default:
            guard let v = Double(text), v.isFinite else { return nil }
            self = .number(v)
        }
    }
}

/// The type of a strategy parameter.
public enum ParameterKind: String, Sendable, Codable, CaseIterable {
    case int, float, bool
}

/// One parameter of a built-in strategy: its type, default and bounds.
public struct ParameterSpec: Sendable, Hashable {
    /// The parameter's name, as in requests (`fast`, `allow_short`).
    public var name: String
    /// Its type.
    public var kind: ParameterKind
    /// Default value; `nil` makes the parameter required.
    public var defaultValue: ParameterValue?
    /// Smallest allowed value (numbers only).
    public var minimum: Double?
    /// Largest allowed value (numbers only).
    public var maximum: Double?
    /// What the parameter does.
    public var summary: String

    /// Creates a parameter.
    public init(
        name: String,
        kind: ParameterKind,
        defaultValue: ParameterValue?,
        minimum: Double? = nil,
        maximum: Double? = nil,
        summary: String
    ) {
        self.name = name
        self.kind = kind
        self.defaultValue = defaultValue
        self.minimum = minimum
        self.maximum = maximum
        self.summary = summary
    }
}

/// A built-in strategy's name, summary and parameters.
public struct StrategySpec: Sendable, Hashable {
    /// The strategy's name in requests (`sma_cross`).
    public var name: String
    /// One line on what it does.
    public var summary: String
    /// Its parameters, in order.
    public var parameters: [ParameterSpec]
}

/// A configured built-in strategy, ready to run. Created from a name and parameters with
/// ``StrategyCatalog/make(name:params:brackets:)``.
public enum BuiltinStrategy: Sendable, Hashable {
    case buyAndHold(BuyAndHold)
    case smaCross(SMACross)
    case smaCrossReverse(SMACrossReverse)
    case rsiReversion(RSIReversion)
    case bollinger(BollingerReversion)
    case macdCross(MACDCross)
    case donchian(DonchianBreakout)
}

extension Backtest {
    /// Runs a built-in strategy (statically dispatched: no existential in the bar loop).
    ///
    /// - Parameters:
    ///   - cache: indicators shared with other runs on the same bars (a search).
    ///   - scope: the statistics to compute (default all of them).
    public func run(
        _ builtin: BuiltinStrategy,
        cache: IndicatorCache? = nil,
        statistics scope: StatisticsScope = .all
    ) throws(BacktestError) -> BacktestResult {
        switch builtin {
        case .buyAndHold(let s): return try run(s, cache: cache, statistics: scope)
        case .smaCross(let s): return try run(s, cache: cache, statistics: scope)
        case .smaCrossReverse(let s): return try run(s, cache: cache, statistics: scope)
        case .rsiReversion(let s): return try run(s, cache: cache, statistics: scope)
        case .bollinger(let s): return try run(s, cache: cache, statistics: scope)
        case .macdCross(let s): return try run(s, cache: cache, statistics: scope)
        case .donchian(let s): return try run(s, cache: cache, statistics: scope)
        }
    }
}

/// The built-in strategies (SEMANTICS.md section 11) and their parameters.
///
/// ```swift
/// let strategy = try StrategyCatalog.make(name: "sma_cross", params: ["fast": .number(10), "slow": .number(30)])
/// let result = try Backtest(bars: bars).run(strategy)
/// ```
public enum StrategyCatalog {
    static let maxPeriod = 100_000.0

    static func period(_ name: String, _ value: Int, _ summary: String) -> ParameterSpec {
        ParameterSpec(name: name, kind: .int, defaultValue: .number(Double(value)), minimum: 1, maximum: maxPeriod, summary: summary)
    }

    static let allowShort = ParameterSpec(
        name: "allow_short",
        kind: .bool,
        defaultValue: .bool(false),
        summary: "also take short positions"
    )

    /// Every built-in strategy, in a stable order.
    public static let all: [StrategySpec] = [
        StrategySpec(name: "buy_and_hold", summary: "buy on the first bar and hold", parameters: []),
        StrategySpec(
            name: "sma_cross",
            summary: "long when the fast SMA crosses above the slow SMA, flat when it crosses below",
            parameters: [period("fast", 10, "fast SMA period"), period("slow", 30, "slow SMA period (> fast)")]
        ),
        StrategySpec(
            name: "sma_cross_reverse",
            summary: "long on an SMA up-cross, short on a down-cross (always in the market)",
            parameters: [period("fast", 10, "fast SMA period"), period("slow", 30, "slow SMA period (> fast)")]
        ),
        StrategySpec(
            name: "rsi_reversion",
            summary: "buy when RSI < lower, close when RSI > upper (Wilder RSI)",
            parameters: [
                period("period", 14, "RSI period"),
                ParameterSpec(name: "lower", kind: .float, defaultValue: .number(30), minimum: 0, maximum: 100, summary: "oversold level"),
                ParameterSpec(
                    name: "upper",
                    kind: .float,
                    defaultValue: .number(70),
                    minimum: 0,
                    maximum: 100,
                    summary: "overbought level (> lower)"
                ),
            ]
        ),
        StrategySpec(
            name: "bollinger",
            summary: "buy below the lower band, close above the middle; optionally the mirror image short",
            parameters: [
                period("period", 20, "SMA period of the middle band"),
                ParameterSpec(
                    name: "k",
                    kind: .float,
                    defaultValue: .number(2),
                    minimum: 0,
                    maximum: 100,
                    summary: "band width in population standard deviations (> 0)"
                ),
                allowShort,
            ]
        ),
        StrategySpec(
            name: "macd_cross",
            summary: "long when the MACD line crosses above its signal, flat (or short) on the cross below",
            parameters: [
                period("fast", 12, "fast EMA period"), period("slow", 26, "slow EMA period (> fast)"),
                period("signal", 9, "signal EMA period"), allowShort,
            ]
        ),
        StrategySpec(
            name: "donchian",
            summary: "buy when the close breaks the previous n_entry bars' high, close below the previous n_exit bars' low",
            parameters: [period("n_entry", 20, "entry channel length"), period("n_exit", 10, "exit channel length")]
        ),
    ]

    /// The spec of the strategy called `name`, if any.
    public static func spec(named name: String) -> StrategySpec? {
        all.first { $0.name == name }
    }

    /// Checks request parameters against a strategy's spec and resolves defaults.
    ///
    /// - Returns: every parameter of the strategy with its value.
    /// - Throws: ``BacktestError`` naming the strategy or `params.NAME` at fault.
    public static func resolve(name: String, params: [String: ParameterValue]) throws(BacktestError) -> (StrategySpec, [String: ParameterValue]) {
        let spec = try knownSpec(named: name)
        return (spec, try resolve(spec: spec, params: params))
    }

    /// The spec of the strategy called `name`.
    ///
    /// - Throws: `unknown_strategy`, listing the strategies there are.
    private static func knownSpec(named name: String) throws(BacktestError) -> StrategySpec {
        guard let spec = spec(named: name) else {
            throw BacktestError(
                code: .unknownStrategy,
                message: "unknown strategy '\(name)'; available: \(all.map(\.name).joined(separator: ", "))",
                field: "strategy"
            )
        }
        return spec
    }

    /// Checks parameters against `spec`: unknown names, missing required values, types and
    /// bounds. Returns every parameter with its value (defaults filled in).
    public static func resolve(spec: StrategySpec, params: [String: ParameterValue]) throws(BacktestError) -> [String: ParameterValue] {
        let values = try resolvedValues(spec: spec, params: params, overriding: [:])
        var resolved = [String: ParameterValue](minimumCapacity: values.count)
        for (p, value) in zip(spec.parameters, values) { resolved[p.name] = value }
        return resolved
    }

    /// ``resolve(spec:params:)`` of `params` with `overlay`'s values in place of theirs (a
    /// search's combination over the request's parameters), without merging the two: every
    /// parameter's value in the spec's order. A search resolves every combination, so nothing
    /// here is built unless an error needs it.
    static func resolvedValues(
        spec: StrategySpec,
        params: [String: ParameterValue],
        overriding overlay: [String: ParameterValue]
    ) throws(BacktestError) -> [ParameterValue] {
        let name = spec.name
        func isKnown(_ key: String) -> Bool { spec.parameters.contains { $0.name == key } }
        if !params.keys.allSatisfy(isKnown) || !overlay.keys.allSatisfy(isKnown) {
            // The first unknown name in name order.
            for key in Set(params.keys).union(overlay.keys).sorted() where !isKnown(key) {
                let known = spec.parameters.map(\.name)
                throw BacktestError(
                    code: .unknownParameter,
                    message: "unknown parameter '\(key)' for strategy \(name)"
                        + (known.isEmpty ? " (it takes none)" : "; it takes: \(known.joined(separator: ", "))"),
                    field: "params.\(key)"
                )
            }
        }
        var resolved: [ParameterValue] = []
        resolved.reserveCapacity(spec.parameters.count)
        for p in spec.parameters {
            var field: String { "params.\(p.name)" }
            let given = (overlay.isEmpty ? nil : overlay[p.name]) ?? (params.isEmpty ? nil : params[p.name])
            guard let value = given ?? p.defaultValue else {
                throw BacktestError(code: .missingParameter, message: "missing required parameter '\(p.name)' for strategy \(name)", field: field)
            }
            switch (p.kind, value) {
            case (.bool, .bool):
                break
            case (.bool, .number(let v)) where v == 0 || v == 1:
                resolved.append(.bool(v == 1))
                continue
            case (.bool, _):
                throw BacktestError(code: .invalidParameter, message: "\(p.name) must be true or false, got \(value)", field: field)
            case (.int, .number(let v)), (.float, .number(let v)):
                guard v.isFinite else {
                    throw BacktestError(code: .invalidParameter, message: "\(p.name) must be a finite number, got \(v)", field: field)
                }
                if p.kind == .int && v.rounded() != v {
                    throw BacktestError(code: .invalidParameter, message: "\(p.name) must be a whole number, got \(v)", field: field)
                }
                if let lo = p.minimum, v < lo {
                    throw BacktestError(
                        code: .invalidParameter,
                        message: "\(p.name) must be >= \(ParameterValue.number(lo)), got \(value)",
                        field: field
                    )
                }
                if let hi = p.maximum, v > hi {
                    throw BacktestError(
                        code: .invalidParameter,
                        message: "\(p.name) must be <= \(ParameterValue.number(hi)), got \(value)",
                        field: field
                    )
                }
            case (.int, .bool), (.float, .bool):
                throw BacktestError(code: .invalidParameter, message: "\(p.name) must be a number, got \(value)", field: field)
            }
            resolved.append(value)
        }
        return resolved
    }

    /// Builds a built-in strategy from its name and request parameters (JSON numbers like
    /// `20` or `20.0` for integers; a fractional value for an integer is an error).
    ///
    /// - Throws: ``BacktestError`` for an unknown strategy or parameter, a missing required
    ///   parameter, or a value out of range (e.g. `fast >= slow`).
    public static func make(name: String, params: [String: ParameterValue], brackets: Brackets = Brackets()) throws(BacktestError) -> BuiltinStrategy
    {
        try make(name: name, params: params, overriding: [:], brackets: brackets)
    }

    /// ``make(name:params:brackets:)`` of `params` with `overlay`'s values in place of theirs:
    /// a search's combination over the request's parameters, checked and built without
    /// merging the two dictionaries.
    ///
    /// ```swift
    /// let strategy = try StrategyCatalog.make(name: "sma_cross", params: [:], overriding: ["fast": .number(5)])
    /// ```
    public static func make(
        name: String,
        params: [String: ParameterValue],
        overriding overlay: [String: ParameterValue],
        brackets: Brackets = Brackets()
    ) throws(BacktestError) -> BuiltinStrategy {
        try check(brackets)
        let spec = try knownSpec(named: name)
        let values = try resolvedValues(spec: spec, params: params, overriding: overlay)
        func value(_ k: String) -> ParameterValue? {
            spec.parameters.firstIndex { $0.name == k }.map { values[$0] }
        }
        func int(_ k: String) -> Int {
            if case .number(let v)? = value(k) { return Int(v) }
            return 0
        }
        func num(_ k: String) -> Double {
            if case .number(let v)? = value(k) { return v }
            return .nan
        }
        func flag(_ k: String) -> Bool {
            if case .bool(let b)? = value(k) { return b }
            return false
        }
        func described(_ k: String) -> String { value(k).map(\.description) ?? "" }
        func ordered(_ a: String, _ b: String) throws(BacktestError) {
            guard num(a) < num(b) else {
                throw BacktestError(
                    code: .invalidParameter,
                    message: "\(a) (\(described(a))) must be below \(b) (\(described(b))) for strategy \(name)",
                    field: "params.\(a)"
                )
            }
        }
        switch name {
        case "buy_and_hold":
            return .buyAndHold(BuyAndHold(brackets: brackets))
        case "sma_cross":
            try ordered("fast", "slow")
            return .smaCross(SMACross(fast: int("fast"), slow: int("slow"), brackets: brackets))
        case "sma_cross_reverse":
            try ordered("fast", "slow")
            return .smaCrossReverse(SMACrossReverse(fast: int("fast"), slow: int("slow"), brackets: brackets))
        case "rsi_reversion":
            try ordered("lower", "upper")
            return .rsiReversion(RSIReversion(period: int("period"), lower: num("lower"), upper: num("upper"), brackets: brackets))
        case "bollinger":
            guard num("k") > 0 else {
                throw BacktestError(code: .invalidParameter, message: "k must be > 0, got \(described("k"))", field: "params.k")
            }
            return .bollinger(BollingerReversion(period: int("period"), k: num("k"), allowShort: flag("allow_short"), brackets: brackets))
        case "macd_cross":
            try ordered("fast", "slow")
            return .macdCross(
                MACDCross(fast: int("fast"), slow: int("slow"), signal: int("signal"), allowShort: flag("allow_short"), brackets: brackets)
            )
        case "donchian":
            return .donchian(DonchianBreakout(nEntry: int("n_entry"), nExit: int("n_exit"), brackets: brackets))
        default:
            throw BacktestError(code: .unknownStrategy, message: "unknown strategy '\(name)'", field: "strategy")
        }
    }

    static func check(_ brackets: Brackets) throws(BacktestError) {
        if let sl = brackets.slPct {
            guard sl.isFinite, sl > 0, sl < 1 else { throw .invalid("sl_pct", "must be in (0, 1), got \(sl)") }
        }
        if let tp = brackets.tpPct {
            guard tp.isFinite, tp > 0 else { throw .invalid("tp_pct", "must be a positive number, got \(tp)") }
        }
    }
}
