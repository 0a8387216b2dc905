import BacktestEngine

extension PortfolioAllocation: Codable {
    enum CodingKeys: String, CodingKey, CaseIterable {
        case type, weights, schedule, lookback
        case topK = "top_k"
    }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        let type = try PortfolioCoding.string(c, .type, field: "allocation.type")
        let allowed: [CodingKeys]
        switch type {
        case "weights":
            allowed = [.type, .schedule]
            let entries = try PortfolioCoding.decode(
                [WeightEntry].self,
                c,
                .schedule,
                field: "allocation.schedule",
                expected: "a list of {date, weights}"
            )
            self = .weights(entries)
        case "fixed":
            allowed = [.type, .weights]
            self = .fixed(
                try PortfolioCoding.decode([String: Double].self, c, .weights, field: "allocation.weights", expected: "an object of ticker: weight")
            )
        case "equal":
            allowed = [.type]
            self = .equal
        case "momentum":
            allowed = [.type, .lookback, .topK]
            let lookback = try PortfolioCoding.integer(c, .lookback, field: "allocation.lookback")
            self = .momentum(lookback: lookback, top: try PortfolioCoding.integer(c, .topK, field: "allocation.top_k"))
        case "inverse_volatility":
            allowed = [.type, .lookback]
            self = .inverseVolatility(lookback: try PortfolioCoding.integer(c, .lookback, field: "allocation.lookback"))
        default:
            throw BacktestError.invalid("allocation.type", "unknown allocation '\(type)'; allowed: \(Self.names.joined(separator: ", "))")
        }
        try PortfolioCoding.rejectOthers(in: decoder, allowed: allowed.map(\.rawValue), field: "allocation")
    }

    public func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(name, forKey: .type)
        switch self {
        case .weights(let entries): try c.encode(entries, forKey: .schedule)
        case .fixed(let weights): try c.encode(weights, forKey: .weights)
        case .equal: break
        case .momentum(let lookback, let top):
            try c.encode(lookback, forKey: .lookback)
            try c.encode(top, forKey: .topK)
        case .inverseVolatility(let lookback): try c.encode(lookback, forKey: .lookback)
        }
    }
}

extension WeightEntry: Codable {
    enum CodingKeys: String, CodingKey, CaseIterable {
        case date, weights
    }

    public init(from decoder: any Decoder) throws {
        try PortfolioCoding.rejectOthers(in: decoder, allowed: ["date", "weights"], field: "allocation.schedule[]")
        let c = try decoder.container(keyedBy: CodingKeys.self)
        let text = try PortfolioCoding.string(c, .date, field: "allocation.schedule[].date")
        guard text.count == 10, let date = Timestamp.parse(text) else {
            throw BacktestError.invalid("allocation.schedule[].date", "'\(text)' is not a date (YYYY-MM-DD)")
        }
        self.init(
            date: date,
            weights: try PortfolioCoding.decode(
                [String: Double].self,
                c,
                .weights,
                field: "allocation.schedule[].weights",
                expected: "an object of ticker: weight"
            )
        )
    }

    public func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(Timestamp.formatDate(date), forKey: .date)
        try c.encode(weights, forKey: .weights)
    }
}

extension RebalanceSchedule: Codable {
    enum CodingKeys: String, CodingKey, CaseIterable {
        case type, n
    }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        let type = try PortfolioCoding.string(c, .type, field: "schedule.type")
        switch type {
        case "monthly": self = .monthly
        case "weekly": self = .weekly
        case "quarterly": self = .quarterly
        case "never": self = .never
        case "every_n_bars": self = .everyNBars(try PortfolioCoding.integer(c, .n, field: "schedule.n"))
        default:
            throw BacktestError.invalid("schedule.type", "unknown schedule '\(type)'; allowed: \(Self.names.joined(separator: ", "))")
        }
        try PortfolioCoding.rejectOthers(in: decoder, allowed: type == "every_n_bars" ? ["type", "n"] : ["type"], field: "schedule")
    }

    public func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(name, forKey: .type)
        if case .everyNBars(let n) = self { try c.encode(n, forKey: .n) }
    }
}

/// Decoding steps shared by the portfolio request's parts, each error naming its field.
enum PortfolioCoding {
    static func string<K: CodingKey>(_ c: KeyedDecodingContainer<K>, _ key: K, field: String) throws -> String {
        try decode(String.self, c, key, field: field, expected: "a string")
    }

    static func integer<K: CodingKey>(_ c: KeyedDecodingContainer<K>, _ key: K, field: String) throws -> Int {
        let value = try decode(Double.self, c, key, field: field, expected: "a whole number")
        guard value.isFinite, value == value.rounded(), abs(value) < 1e9 else {
            throw BacktestError.invalid(field, "expected a whole number, got \(value)")
        }
        return Int(value)
    }

    static func decode<T: Decodable, K: CodingKey>(
        _ type: T.Type,
        _ c: KeyedDecodingContainer<K>,
        _ key: K,
        field: String,
        expected: String
    ) throws -> T {
        guard c.contains(key) else {
            throw BacktestError(code: .missingField, message: "missing required field '\(field)'", field: field)
        }
        do {
            return try c.decode(type, forKey: key)
        } catch let error as BacktestError {
            throw error
        } catch {
            throw BacktestError.invalid(field, "expected \(expected)")
        }
    }

    static func rejectOthers(in decoder: any Decoder, allowed: [String], field: String) throws {
        let known = Set(allowed)
        for key in try decoder.container(keyedBy: AnyCodingKey.self).allKeys where !known.contains(key.stringValue) {
            throw BacktestError(
                code: .unknownField,
                message: "\(field): unknown field '\(key.stringValue)'; allowed here: \(allowed.joined(separator: ", "))",
                field: "\(field).\(key.stringValue)"
            )
        }
    }
}
