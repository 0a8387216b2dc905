#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A parsed JSON value.
public enum JSONValue: Sendable, Equatable {
    case null
    case bool(Bool)
    case number(Double)
    case string(String)
    case array([JSONValue])
    case object([String: JSONValue])
}

/// Why a JSON text could not be read, or did not have the expected shape.
public struct JSONReadError: Error, Sendable, CustomStringConvertible {
    /// What went wrong, with the byte offset or the key path.
    public var message: String
    public var description: String { message }

    /// An error with `message` (the readers of reply types name the key path in it).
    package init(message: String) { self.message = message }
}

/// A strict RFC 8259 parser: the client's fast path for replies (several times faster than
/// `JSONDecoder` on a backtest reply), feeding the `init(json:)` initializers below.
///
/// ```swift
/// let reply = try BatchReply(json: try JSONReader.parse(bytes))
/// ```
public enum JSONReader {
    /// Parses one JSON document (surrounding whitespace allowed, nothing else after it).
    ///
    /// A number beyond `Double`'s range (one that rounds to infinity, or to 0 without being
    /// 0) is refused, as `JSONDecoder` refuses it. An object may repeat a member name (the
    /// last value is kept) unless `rejectingDuplicateKeys`: readers that must agree with
    /// `JSONDecoder`, which keeps the first, refuse such a document and let it decide.
    public static func parse(_ bytes: [UInt8], rejectingDuplicateKeys: Bool = false) throws(JSONReadError) -> JSONValue {
        try bytes.withUnsafeBufferPointer { (buffer) throws(JSONReadError) -> JSONValue in
            var parser = Parser(bytes: buffer, rejectsDuplicateKeys: rejectingDuplicateKeys)
            let value = try parser.value(depth: 0)
            parser.skipWhitespace()
            guard parser.index == buffer.count else { throw parser.error("unexpected text after the JSON value") }
            return value
        }
    }

    private struct Parser {
        let bytes: UnsafeBufferPointer<UInt8>
        let rejectsDuplicateKeys: Bool
        var index = 0

        func error(_ message: String) -> JSONReadError {
            JSONReadError(message: "invalid JSON at byte \(index): \(message)")
        }

        mutating func skipWhitespace() {
            while index < bytes.count {
                switch bytes[index] {
                case 0x20, 0x09, 0x0A, 0x0D: index += 1
                default: return
                }
            }
        }

        mutating func value(depth: Int) throws(JSONReadError) -> JSONValue {
            guard depth < 256 else { throw error("nested too deeply") }
            skipWhitespace()
            guard index < bytes.count else { throw error("unexpected end") }
            switch bytes[index] {
            case UInt8(ascii: "{"): return try object(depth: depth)
            case UInt8(ascii: "["): return try array(depth: depth)
            case UInt8(ascii: "\""): return .string(try string())
            case UInt8(ascii: "t"):
                try literal("true")
                return .bool(true)
            case UInt8(ascii: "f"):
                try literal("false")
                return .bool(false)
            case UInt8(ascii: "n"):
                try literal("null")
                return .null
            default: return .number(try number())
            }
        }

        mutating func literal(_ word: StaticString) throws(JSONReadError) {
            let count = word.utf8CodeUnitCount
            guard index + count <= bytes.count else { throw error("unexpected end") }
            for k in 0..<count where bytes[index + k] != word.utf8Start[k] { throw error("unknown literal") }
            index += count
        }

        /// An object: its members are read in order first, then put into a dictionary made
        /// at their count (growing it member by member re-hashed every key at each doubling,
        /// twice the hashing of a 30-member statistics object).
        mutating func object(depth: Int) throws(JSONReadError) -> JSONValue {
            index += 1  // {
            var pairs: [(key: String, value: JSONValue)] = []
            skipWhitespace()
            if index < bytes.count, bytes[index] == UInt8(ascii: "}") {
                index += 1
                return .object([:])
            }
            while true {
                skipWhitespace()
                guard index < bytes.count, bytes[index] == UInt8(ascii: "\"") else { throw error("expected a member name") }
                let key = try string()
                skipWhitespace()
                guard index < bytes.count, bytes[index] == UInt8(ascii: ":") else { throw error("expected ':'") }
                index += 1
                pairs.append((key, try value(depth: depth + 1)))
                skipWhitespace()
                guard index < bytes.count else { throw error("unexpected end in an object") }
                if bytes[index] == UInt8(ascii: ",") {
                    index += 1
                } else if bytes[index] == UInt8(ascii: "}") {
                    index += 1
                    return .object(try members(pairs))
                } else {
                    throw error("expected ',' or '}'")
                }
            }
        }

        /// `pairs` as a dictionary; a repeated name keeps its last value, or is refused when
        /// `rejectsDuplicateKeys` (the index is then just past the object).
        func members(_ pairs: [(key: String, value: JSONValue)]) throws(JSONReadError) -> [String: JSONValue] {
            var members = [String: JSONValue](minimumCapacity: pairs.count)
            for (key, value) in pairs {
                if members.updateValue(value, forKey: key) != nil, rejectsDuplicateKeys {
                    throw error("the member name '\(key)' is repeated")
                }
            }
            return members
        }

        mutating func array(depth: Int) throws(JSONReadError) -> JSONValue {
            index += 1  // [
            var elements: [JSONValue] = []
            skipWhitespace()
            if index < bytes.count, bytes[index] == UInt8(ascii: "]") {
                index += 1
                return .array(elements)
            }
            while true {
                elements.append(try value(depth: depth + 1))
                skipWhitespace()
                guard index < bytes.count else { throw error("unexpected end in an array") }
                if bytes[index] == UInt8(ascii: ",") {
                    index += 1
                } else if bytes[index] == UInt8(ascii: "]") {
                    index += 1
                    return .array(elements)
                } else {
                    throw error("expected ',' or ']'")
                }
            }
        }

        /// A string token (the index is at its opening quote).
        mutating func string() throws(JSONReadError) -> String {
            index += 1
            let start = index
            // Fast path: no escapes. ASCII text is valid UTF-8 as it stands, so only a string
            // with a byte ≥ 0x80 goes through `String(validating:as:)`, whose generic body is
            // several times slower than `String(decoding:as:)` on short keys.
            var isASCII = true
            while index < bytes.count {
                let b = bytes[index]
                if b == UInt8(ascii: "\"") {
                    let token = UnsafeBufferPointer(rebasing: bytes[start..<index])
                    let text: String
                    if isASCII {
                        text = String(decoding: token, as: UTF8.self)
                    } else {
                        guard let valid = String(validating: token, as: UTF8.self) else { throw error("invalid UTF-8 in a string") }
                        text = valid
                    }
                    index += 1
                    return text
                }
                if b == UInt8(ascii: "\\") { break }
                if b < 0x20 { throw error("control character in a string") }
                if b >= 0x80 { isASCII = false }
                index += 1
            }
            var utf8 = Array(bytes[start..<index])
            while index < bytes.count {
                let b = bytes[index]
                switch b {
                case UInt8(ascii: "\""):
                    index += 1
                    guard let text = String(validating: utf8, as: UTF8.self) else { throw error("invalid UTF-8 in a string") }
                    return text
                case UInt8(ascii: "\\"):
                    index += 1
                    guard index < bytes.count else { throw error("unexpected end in a string") }
                    let e = bytes[index]
                    index += 1
                    switch e {
                    case UInt8(ascii: "\""), UInt8(ascii: "\\"), UInt8(ascii: "/"): utf8.append(e)
                    case UInt8(ascii: "b"): utf8.append(0x08)
                    case UInt8(ascii: "f"): utf8.append(0x0C)
                    case UInt8(ascii: "n"): utf8.append(0x0A)
                    case UInt8(ascii: "r"): utf8.append(0x0D)
                    case UInt8(ascii: "t"): utf8.append(0x09)
                    case UInt8(ascii: "u"):
                        var scalar = try hex4()
                        if (0xD800..<0xDC00).contains(scalar) {
                            // A high surrogate must be followed by an escaped low one.
                            guard index + 1 < bytes.count, bytes[index] == UInt8(ascii: "\\"), bytes[index + 1] == UInt8(ascii: "u") else {
                                throw error("unpaired surrogate")
                            }
                            index += 2
                            let low = try hex4()
                            guard (0xDC00..<0xE000).contains(low) else { throw error("unpaired surrogate") }
                            scalar = 0x10000 + ((scalar - 0xD800) << 10) + (low - 0xDC00)
                        } else if (0xDC00..<0xE000).contains(scalar) {
                            throw error("unpaired surrogate")
                        }
                        guard let unicode = Unicode.Scalar(scalar) else { throw error("invalid code point") }
                        utf8.append(contentsOf: String(Character(unicode)).utf8)
                    default:
                        throw error("invalid escape")
                    }
                default:
                    if b < 0x20 { throw error("control character in a string") }
                    utf8.append(b)
                    index += 1
                }
            }
            throw error("unterminated string")
        }

        mutating func hex4() throws(JSONReadError) -> UInt32 {
            guard index + 4 <= bytes.count else { throw error("unexpected end in \\u") }
            var value: UInt32 = 0
            for _ in 0..<4 {
                let c = bytes[index]
                let digit: UInt32
                switch c {
                case UInt8(ascii: "0")...UInt8(ascii: "9"): digit = UInt32(c - UInt8(ascii: "0"))
                case UInt8(ascii: "a")...UInt8(ascii: "f"): digit = UInt32(c - UInt8(ascii: "a") + 10)
                case UInt8(ascii: "A")...UInt8(ascii: "F"): digit = UInt32(c - UInt8(ascii: "A") + 10)
                default: throw error("invalid \\u escape")
                }
                value = value << 4 | digit
                index += 1
            }
            return value
        }

        /// A number token, checked against the JSON grammar, converted by `strtod`
        /// (correctly rounded).
        mutating func number() throws(JSONReadError) -> Double {
            let start = index
            func isDigit(_ i: Int) -> Bool { i < bytes.count && bytes[i] >= 0x30 && bytes[i] <= 0x39 }
            if index < bytes.count, bytes[index] == UInt8(ascii: "-") { index += 1 }
            guard isDigit(index) else { throw error("expected a value") }
            if bytes[index] == UInt8(ascii: "0") {
                index += 1
            } else {
                while isDigit(index) { index += 1 }
            }
            if index < bytes.count, bytes[index] == UInt8(ascii: ".") {
                index += 1
                guard isDigit(index) else { throw error("expected a digit after '.'") }
                while isDigit(index) { index += 1 }
            }
            let mantissaLength = index - start
            if index < bytes.count, bytes[index] == UInt8(ascii: "e") || bytes[index] == UInt8(ascii: "E") {
                index += 1
                if index < bytes.count, bytes[index] == UInt8(ascii: "+") || bytes[index] == UInt8(ascii: "-") { index += 1 }
                guard isDigit(index) else { throw error("expected a digit in the exponent") }
                while isDigit(index) { index += 1 }
            }
            let length = index - start
            guard length < 512 else { throw error("number too long") }
            // strtod (correctly rounded) needs a terminated copy: the token may end the buffer.
            // It follows the C locale's decimal point; when it stops early (a process that
            // set a locale with a decimal comma), Swift's locale-independent parser reads it.
            let token = UnsafeBufferPointer(rebasing: bytes[start..<index])
            let parsed = withUnsafeTemporaryAllocation(of: CChar.self, capacity: length + 1) { copy -> Double? in
                guard let base = copy.baseAddress else { return nil }
                for k in 0..<length { base[k] = CChar(bitPattern: token[k]) }
                base[length] = 0
                var end: UnsafeMutablePointer<CChar>?
                let value = strtod(base, &end)
                return end == base + length ? value : nil
            }
            guard let value = parsed ?? Double(String(decoding: token, as: UTF8.self)), value.isFinite else {
                throw error("number out of range")
            }
            // Underflow: a mantissa with a digit other than 0 that came out as 0 (1e-400).
            if value == 0, token[..<mantissaLength].contains(where: { $0 > UInt8(ascii: "0") && $0 <= UInt8(ascii: "9") }) {
                throw error("number out of range")
            }
            return value
        }
    }
}

// MARK: - Typed views

extension JSONValue {
    /// The members of an object, or an error naming `path`.
    package func members(_ path: String) throws(JSONReadError) -> [String: JSONValue] {
        guard case .object(let members) = self else { throw JSONReadError(message: "\(path): expected an object") }
        return members
    }

    /// The elements of an array, or an error naming `path`.
    package func elements(_ path: String) throws(JSONReadError) -> [JSONValue] {
        guard case .array(let elements) = self else { throw JSONReadError(message: "\(path): expected an array") }
        return elements
    }
}

extension [String: JSONValue] {
    package func string(_ key: String, _ path: String) throws(JSONReadError) -> String {
        guard case .string(let s)? = self[key] else { throw JSONReadError(message: "\(path).\(key): expected a string") }
        return s
    }

    package func optionalString(_ key: String, _ path: String) throws(JSONReadError) -> String? {
        switch self[key] {
        case nil, .null?: return nil
        case .string(let s)?: return s
        default: throw JSONReadError(message: "\(path).\(key): expected a string")
        }
    }

    package func integer(_ key: String, _ path: String) throws(JSONReadError) -> Int {
        guard case .number(let d)? = self[key], d.rounded(.towardZero) == d, abs(d) < 0x1p63 else {
            throw JSONReadError(message: "\(path).\(key): expected a whole number")
        }
        return Int(d)
    }

    package func bool(_ key: String, _ path: String) throws(JSONReadError) -> Bool {
        guard case .bool(let b)? = self[key] else { throw JSONReadError(message: "\(path).\(key): expected true or false") }
        return b
    }

    /// A double with the wire rules: `null` or missing is NaN, `"Infinity"`/`"-Infinity"`/`"NaN"`.
    package func wireDouble(_ key: String, _ path: String) throws(JSONReadError) -> Double {
        switch self[key] {
        case nil, .null?: return .nan
        case .number(let d)?: return d
        case .string("Infinity")?: return .infinity
        case .string("-Infinity")?: return -.infinity
        case .string("NaN")?: return .nan
        default: throw JSONReadError(message: "\(path).\(key): expected a number")
        }
    }

}
