import BacktestEngine
import BacktestJSON
import BacktestRules

/// One strategy in `GET /v1/strategies`.
public struct StrategyInfo: Sendable, Codable, Equatable {
    /// One parameter.
    public struct Parameter: Sendable, Codable, Equatable {
        public var name: String
        /// `int`, `float` or `bool`.
        public var type: String
        public var `default`: ParameterValue?
        public var minimum: Double?
        public var maximum: Double?
        public var description: String
    }
    public var name: String
    public var description: String
    public var parameters: [Parameter]
    /// The strategy in the rules language (`POST /v1/backtests` with `rules` runs it, bit
    /// for bit the same).
    public var rules: String

    /// Describes a built-in strategy.
    public init(_ spec: StrategySpec) {
        name = spec.name
        description = spec.summary
        rules = BuiltinRules.source(for: spec.name) ?? ""
        parameters = spec.parameters.map {
            Parameter(
                name: $0.name,
                type: $0.kind.rawValue,
                default: $0.defaultValue,
                minimum: $0.minimum,
                maximum: $0.maximum,
                description: $0.summary
            )
        }
    }
}

/// The reply to `GET /v1/strategies`.
public struct StrategyList: Sendable, Codable {
    public var strategies: [StrategyInfo]
    public init(strategies: [StrategyInfo]) { self.strategies = strategies }
}
