import BacktestEngine
import BacktestJSON
import Foundation
import Testing

/// `JSONReader`'s strings and objects against `JSONDecoder`: the ASCII fast path and the
/// validating path must read the same text, refuse the same bytes, and an object must hold
/// the same members whatever its size.
@Suite("JSON reader")
struct JSONReaderTests {
    /// Pieces a generated string is made of: ASCII, two- to four-byte UTF-8, escapes
    /// (`\u` ones among them, with a surrogate pair).
    static let pieces: [String] = [
        "a", "Z", "0", " ", "_", "~", "é", "ß", "€", "日本", "😀", #"\""#, #"\\"#, #"\/"#, #"\n"#, #"\t"#, #"\u0041"#, #"\u00e9"#,
        #"\ud83d\ude00"#,
    ]

    /// A JSON string token (quotes included) of `count` random pieces.
    static func token(_ count: Int, using generator: inout SplitMix64) -> String {
        var text = "\""
        for _ in 0..<count { text += pieces.randomElement(using: &generator) ?? "a" }
        return text + "\""
    }

    @Test("2,000 generated strings read as JSONDecoder reads them")
    func stringsAgreeWithJSONDecoder() throws {
        var generator = SplitMix64(seed: 20_261_206)
        var asciiOnly = 0
        for _ in 0..<2_000 {
            let token = Self.token(Int.random(in: 0...12, using: &generator), using: &generator)
            let expected = try JSONDecoder().decode(String.self, from: Data(token.utf8))
            #expect(try JSONReader.parse(Array(token.utf8)) == .string(expected), "\(token)")
            if token.utf8.allSatisfy({ $0 < 0x80 }) && !token.contains("\\") { asciiOnly += 1 }
        }
        #expect(asciiOnly > 50)  // the fast path was taken often
    }

    @Test("Bytes that are not UTF-8 are refused, with or without ASCII around them")
    func invalidUTF8IsRefused() {
        let bad: [[UInt8]] = [[0xFF], [0xC3], [0xE2, 0x82], [0xED, 0xA0, 0x80], [0xC0, 0xAF], [0xF5, 0x80, 0x80, 0x80]]
        for bytes in bad {
            for (prefix, suffix) in [("", ""), ("abc", ""), ("", "xyz"), ("é", "a")] {
                let document = [0x22] + Array(prefix.utf8) + bytes + Array(suffix.utf8) + [0x22]
                #expect(throws: JSONReadError.self, "\(document)") { try JSONReader.parse(document) }
                #expect(throws: (any Error).self) { try JSONDecoder().decode(String.self, from: Data(document)) }
            }
        }
        #expect(throws: JSONReadError.self) { try JSONReader.parse(Array("\"a\u{01}b\"".utf8)) }
    }

    @Test("Objects of 0 to 70 members hold what JSONDecoder reads, keys of any script")
    func objectsOfEverySize() throws {
        var generator = SplitMix64(seed: 7)
        for size in 0...70 {
            var members: [String] = []
            for k in 0..<size {
                let key = String(Self.token(Int.random(in: 0...4, using: &generator), using: &generator).dropLast()) + "\(k)\""
                members.append("\(key):\(k)")
            }
            let text = "{" + members.joined(separator: ",") + "}"
            let expected = try JSONDecoder().decode([String: Int].self, from: Data(text.utf8))
            guard case .object(let read) = try JSONReader.parse(Array(text.utf8)) else {
                Issue.record("not an object: \(text)")
                continue
            }
            #expect(read.count == size)
            #expect(read == expected.mapValues { .number(Double($0)) }, "\(text)")
        }
    }

    @Test("A repeated name keeps its last value, or is refused when asked; nested objects too")
    func repeatedNames() throws {
        let text = #"{"a":1,"b":{"c":1,"c":2},"a":3}"#
        #expect(try JSONReader.parse(Array(text.utf8)) == .object(["a": .number(3), "b": .object(["c": .number(2)])]))
        #expect(throws: JSONReadError.self) { try JSONReader.parse(Array(text.utf8), rejectingDuplicateKeys: true) }
        let distinct = #"{"a":1,"b":{"c":1,"d":2}}"#
        #expect(try JSONReader.parse(Array(distinct.utf8), rejectingDuplicateKeys: true) != .null)
    }

    /// A random JSON number token: integers, fractions with leading and trailing zeros, 1 to
    /// 20 significant digits, exponents now and then.
    static func numberToken(using generator: inout SplitMix64) -> String {
        let digits = "0123456789"
        func run(_ count: Int) -> String { String((0..<count).map { _ in digits.randomElement(using: &generator) ?? "0" }) }
        var token = Bool.random(using: &generator) ? "-" : ""
        let integer = run(Int.random(in: 0...12, using: &generator)).drop { $0 == "0" }
        token += integer.isEmpty ? "0" : String(integer)
        if Int.random(in: 0..<4, using: &generator) > 0 { token += "." + run(Int.random(in: 1...24, using: &generator)) }
        if Int.random(in: 0..<8, using: &generator) == 0 {
            token += "e" + (Bool.random(using: &generator) ? "-" : "") + run(Int.random(in: 1...3, using: &generator))
        }
        return token
    }

    @Test("50,000 generated numbers read bit for bit as strtod reads them")
    func numbersAgreeWithStrtod() throws {
        var generator = SplitMix64(seed: 15)
        var compared = 0
        for _ in 0..<50_000 {
            let token = Self.numberToken(using: &generator)
            let mantissa = token.prefix { $0 != "e" }
            guard let expected = Double(token), expected.isFinite, expected != 0 || !mantissa.contains(where: { "123456789".contains($0) }) else {
                #expect(throws: JSONReadError.self, "\(token)") { try JSONReader.parse(Array(token.utf8)) }
                continue
            }
            guard case .number(let read) = try JSONReader.parse(Array(token.utf8)) else {
                Issue.record("not a number: \(token)")
                continue
            }
            #expect(read.bitPattern == expected.bitPattern, "\(token)")
            compared += 1
        }
        #expect(compared > 45_000)
        for (token, value) in [("-0", -0.0), ("0.1", 0.1), ("123456789012345", 123_456_789_012_345), ("0.0000000000000000000001", 1e-22)] {
            #expect(try JSONReader.parse(Array(token.utf8)) == .number(value), "\(token)")
        }
        #expect(try JSONReader.parse(Array("-0".utf8)) == .number(-0.0))
        if case .number(let zero) = try JSONReader.parse(Array("-0.0".utf8)) { #expect(zero.sign == .minus) }
    }
}
