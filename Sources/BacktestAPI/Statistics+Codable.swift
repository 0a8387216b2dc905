import BacktestEngine
import BacktestJSON

extension Statistics: Codable {
    package enum CodingKeys: String, CodingKey, CaseIterable {
        case start, end
        case durationDays = "duration_days"
        case exposureTimePct = "exposure_time_pct"
        case equityFinal = "equity_final"
        case equityPeak = "equity_peak"
        case commissions
        case returnPct = "return_pct"
        case buyHoldReturnPct = "buy_hold_return_pct"
        case returnAnnPct = "return_ann_pct"
        case volatilityAnnPct = "volatility_ann_pct"
        case cagrPct = "cagr_pct"
        case sharpeRatio = "sharpe_ratio"
        case sortinoRatio = "sortino_ratio"
        case calmarRatio = "calmar_ratio"
        case alphaPct = "alpha_pct"
        case beta
        case maxDrawdownPct = "max_drawdown_pct"
        case avgDrawdownPct = "avg_drawdown_pct"
        case maxDrawdownDurationDays = "max_drawdown_duration_days"
        case avgDrawdownDurationDays = "avg_drawdown_duration_days"
        case trades
        case winRatePct = "win_rate_pct"
        case bestTradePct = "best_trade_pct"
        case worstTradePct = "worst_trade_pct"
        case avgTradePct = "avg_trade_pct"
        case maxTradeDurationDays = "max_trade_duration_days"
        case avgTradeDurationDays = "avg_trade_duration_days"
        case profitFactor = "profit_factor"
        case expectancyPct = "expectancy_pct"
        case sqn
        case kellyCriterion = "kelly_criterion"
    }

    /// The double-valued statistics and their coding keys, in output order (`trades` apart);
    /// built once (a per-call list and a `CodingKeys(rawValue:)` lookup per field made
    /// encoding a reply several times slower).
    static let wireFields: [(key: CodingKeys, path: any WritableKeyPath<Statistics, Double> & Sendable)] = [
        (.durationDays, \.durationDays), (.exposureTimePct, \.exposureTimePct),
        (.equityFinal, \.equityFinal), (.equityPeak, \.equityPeak), (.commissions, \.commissions),
        (.returnPct, \.returnPct), (.buyHoldReturnPct, \.buyHoldReturnPct),
        (.returnAnnPct, \.returnAnnPct), (.volatilityAnnPct, \.volatilityAnnPct), (.cagrPct, \.cagrPct),
        (.sharpeRatio, \.sharpeRatio), (.sortinoRatio, \.sortinoRatio), (.calmarRatio, \.calmarRatio),
        (.alphaPct, \.alphaPct), (.beta, \.beta), (.maxDrawdownPct, \.maxDrawdownPct),
        (.avgDrawdownPct, \.avgDrawdownPct), (.maxDrawdownDurationDays, \.maxDrawdownDurationDays),
        (.avgDrawdownDurationDays, \.avgDrawdownDurationDays),
        (.winRatePct, \.winRatePct), (.bestTradePct, \.bestTradePct), (.worstTradePct, \.worstTradePct),
        (.avgTradePct, \.avgTradePct), (.maxTradeDurationDays, \.maxTradeDurationDays),
        (.avgTradeDurationDays, \.avgTradeDurationDays), (.profitFactor, \.profitFactor),
        (.expectancyPct, \.expectancyPct), (.sqn, \.sqn), (.kellyCriterion, \.kellyCriterion),
    ]

    public func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(Timestamp.format(start), forKey: .start)
        try c.encode(Timestamp.format(end), forKey: .end)
        for (key, path) in Self.wireFields {
            if key == .winRatePct { try c.encode(trades, forKey: .trades) }
            try WireDouble.encode(self[keyPath: path], forKey: key, in: &c)
        }
    }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        func time(_ k: CodingKeys) throws -> Int64 { try WireTimestamp.decode(forKey: k, in: c) }
        self.init()
        start = try time(.start)
        end = try time(.end)
        trades = try c.decode(Int.self, forKey: .trades)
        for (key, path) in Self.wireFields {
            self[keyPath: path] = try WireDouble.decode(forKey: key, in: c)
        }
    }
}

extension TradeRecord: Codable {
    package enum CodingKeys: String, CodingKey, CaseIterable {
        case size
        case entryBar = "entry_bar"
        case exitBar = "exit_bar"
        case entryTime = "entry_time"
        case exitTime = "exit_time"
        case entryPrice = "entry_price"
        case exitPrice = "exit_price"
        case sl, tp, pnl
        case returnPct = "return_pct"
        case commission
        case durationDays = "duration_days"
    }

    public func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(size, forKey: .size)
        try c.encode(entryBar, forKey: .entryBar)
        try c.encode(exitBar, forKey: .exitBar)
        try c.encode(Timestamp.format(entryTime), forKey: .entryTime)
        try c.encode(Timestamp.format(exitTime), forKey: .exitTime)
        try WireDouble.encode(entryPrice, forKey: .entryPrice, in: &c)
        try WireDouble.encode(exitPrice, forKey: .exitPrice, in: &c)
        try WireDouble.encode(sl ?? .nan, forKey: .sl, in: &c)
        try WireDouble.encode(tp ?? .nan, forKey: .tp, in: &c)
        try WireDouble.encode(pnl, forKey: .pnl, in: &c)
        try WireDouble.encode(returnPct, forKey: .returnPct, in: &c)
        try WireDouble.encode(commission, forKey: .commission, in: &c)
        try c.encode(Double(exitTime - entryTime) / 86_400, forKey: .durationDays)
    }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        func time(_ k: CodingKeys) throws -> Int64 { try WireTimestamp.decode(forKey: k, in: c) }
        func d(_ k: CodingKeys) throws -> Double { try WireDouble.decode(forKey: k, in: c) }
        let sl = try d(.sl)
        let tp = try d(.tp)
        self.init(
            size: try c.decode(Int.self, forKey: .size),
            entryBar: try c.decode(Int.self, forKey: .entryBar),
            exitBar: try c.decode(Int.self, forKey: .exitBar),
            entryPrice: try d(.entryPrice),
            exitPrice: try d(.exitPrice),
            sl: sl.isNaN ? nil : sl,
            tp: tp.isNaN ? nil : tp,
            pnl: try d(.pnl),
            returnPct: try d(.returnPct),
            commission: try d(.commission),
            entryTime: try time(.entryTime),
            exitTime: try time(.exitTime)
        )
    }
}

/// Wire timestamps: `YYYY-MM-DDTHH:MM:SS` strings.
enum WireTimestamp {
    static func decode<K: CodingKey>(forKey key: K, in container: KeyedDecodingContainer<K>) throws -> Int64 {
        let s = try container.decode(String.self, forKey: key)
        guard let t = Timestamp.parse(s) else {
            throw DecodingError.dataCorruptedError(forKey: key, in: container, debugDescription: "not a timestamp: \(s)")
        }
        return t
    }
}
