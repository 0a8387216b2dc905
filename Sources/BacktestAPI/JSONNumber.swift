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
        // One lookup in the common case (a number, null or a missing key); only a type
        // mismatch tries the infinity strings. (Trying a String first made every number
        // build and throw a DecodingError; three lookups per field cost 15 % more.)
        do {
            return try container.decodeIfPresent(Double.self, forKey: key) ?? .nan
        } catch DecodingError.typeMismatch {
            let s = try container.decode(String.self, forKey: key)
            switch s {
            case "Infinity": return .infinity
            case "-Infinity": return -.infinity
            case "NaN": return .nan
            default:
                throw DecodingError.dataCorruptedError(forKey: key, in: container, debugDescription: "expected a number, got '\(s)'")
            }
        }
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
