import BacktestEngine

extension StatisticKey {
    /// The narrowest ``StatisticsScope`` that computes this statistic:
    /// ``StatisticsScope/trades`` for the statistics of the trades and the bars,
    /// ``StatisticsScope/all`` for the equity curve's.
    ///
    /// ```swift
    /// try StatisticKey(name: "sqn").scope            // .trades
    /// try StatisticKey(name: "sharpe_ratio").scope   // .all
    /// ```
    public var scope: StatisticsScope { Self.tradeScoped.contains(name) ? .trades : .all }

    /// The names ``StatisticsScope/trades`` computes (a test holds them to the engine: each
    /// one equal to a full run's, every other one NaN).
    private static let tradeScoped: Set<String> = Set(
        [
            Statistics.CodingKeys.trades, .commissions, .exposureTimePct, .buyHoldReturnPct, .winRatePct,
            .bestTradePct, .worstTradePct, .avgTradePct, .maxTradeDurationDays, .avgTradeDurationDays,
            .profitFactor, .expectancyPct, .sqn, .kellyCriterion,
        ].map(\.rawValue)
    )
}

extension Collection<StatisticKey> {
    /// The narrowest scope that computes every statistic here.
    public var scope: StatisticsScope { allSatisfy { $0.scope == .trades } ? .trades : .all }
}
