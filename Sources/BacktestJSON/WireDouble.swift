/// Wire rules for doubles: NaN is `null`, infinities are the strings `"Infinity"` and
/// `"-Infinity"` (the reference files' convention), and whole numbers below 2^53 in
/// magnitude are written without a fraction (``isWrittenWhole(_:)``). ``JSONWriter``, the
/// `Codable` conformances and the API document's `WireNumber` schema follow these rules.
package enum WireDouble {
    /// Whether `value` is written as an integer: whole and below 2^53 in magnitude (where
    /// every integer is exact).
    @inline(__always)
    package static func isWrittenWhole(_ value: Double) -> Bool {
        value.rounded(.towardZero) == value && abs(value) < 0x1p53
    }

    package static func encode<K: CodingKey>(_ value: Double, forKey key: K, in container: inout KeyedEncodingContainer<K>) throws {
        if value.isNaN {
            try container.encodeNil(forKey: key)
        } else if value.isInfinite {
            try container.encode(value > 0 ? "Infinity" : "-Infinity", forKey: key)
        } else {
            try container.encode(value, forKey: key)
        }
    }

    package static func encode(_ value: Double, in container: inout any SingleValueEncodingContainer) throws {
        if value.isNaN {
            try container.encodeNil()
        } else if value.isInfinite {
            try container.encode(value > 0 ? "Infinity" : "-Infinity")
        } else {
            try container.encode(value)
        }
    }

    package static func decode<K: CodingKey>(forKey key: K, in container: KeyedDecodingContainer<K>) throws -> Double {
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

    /// As ``decode(forKey:in:)``, with NaN (`null` or missing) as `nil`.
    package static func decodeOptional<K: CodingKey>(forKey key: K, in container: KeyedDecodingContainer<K>) throws -> Double? {
        let value = try decode(forKey: key, in: container)
        return value.isNaN ? nil : value
    }
}

/// A list of doubles with the wire rules (an equity curve: NaN as `null`).
package struct WireDoubleList: Codable {
    package var values: [Double]

    package init(_ values: [Double]) { self.values = values }

    package init(from decoder: any Decoder) throws {
        var c = try decoder.unkeyedContainer()
        var values: [Double] = []
        values.reserveCapacity(c.count ?? 0)
        while !c.isAtEnd {
            if try c.decodeNil() {
                values.append(.nan)
            } else if let x = try? c.decode(Double.self) {
                values.append(x)
            } else {
                let text = try c.decode(String.self)
                switch text {
                case "Infinity": values.append(.infinity)
                case "-Infinity": values.append(-.infinity)
                default:
                    throw DecodingError.dataCorruptedError(in: c, debugDescription: "expected a number, got '\(text)'")
                }
            }
        }
        self.values = values
    }

    package func encode(to encoder: any Encoder) throws {
        var c = encoder.unkeyedContainer()
        for value in values {
            if value.isNaN {
                try c.encodeNil()
            } else if value.isInfinite {
                try c.encode(value > 0 ? "Infinity" : "-Infinity")
            } else {
                try c.encode(value)
            }
        }
    }
}
