import BacktestEngine

/// Wire rules for doubles: NaN is `null`, infinities are the strings `"Infinity"` and
/// `"-Infinity"` (the reference files' convention).
enum WireDouble {
    static func encode<K: CodingKey>(_ value: Double, forKey key: K, in container: inout KeyedEncodingContainer<K>) throws {
        if value.isNaN {
            try container.encodeNil(forKey: key)
        } else if value.isInfinite {
            try container.encode(value > 0 ? "Infinity" : "-Infinity", forKey: key)
        } else {
            try container.encode(value, forKey: key)
        }
    }

    static func decode<K: CodingKey>(forKey key: K, in container: KeyedDecodingContainer<K>) throws -> Double {
        if try !container.contains(key) || container.decodeNil(forKey: key) { return .nan }
        // Numbers first: they are the common case, and a failed `try?` decode builds and
        // throws a DecodingError, which made decoding a reply several times slower.
        if let d = try? container.decode(Double.self, forKey: key) { return d }
        if let s = try? container.decode(String.self, forKey: key) {
            switch s {
            case "Infinity": return .infinity
            case "-Infinity": return -.infinity
            case "NaN": return .nan
            default:
                throw DecodingError.dataCorruptedError(forKey: key, in: container, debugDescription: "expected a number, got '\(s)'")
            }
        }
        return try container.decode(Double.self, forKey: key)
    }
}

extension ParameterValue: Codable {
    public init(from decoder: any Decoder) throws {
        let c = try decoder.singleValueContainer()
        if let b = try? c.decode(Bool.self) {
            self = .bool(b)
        } else if let d = try? c.decode(Double.self) {
            self = .number(d)
        } else {
            throw DecodingError.dataCorruptedError(in: c, debugDescription: "expected a number or a boolean")
        }
    }

    public func encode(to encoder: any Encoder) throws {
        var c = encoder.singleValueContainer()
        switch self {
        case .bool(let b): try c.encode(b)
        case .number(let v):
            if v.rounded() == v && abs(v) < 1e15 { try c.encode(Int64(v)) } else { try c.encode(v) }
        }
    }
}
