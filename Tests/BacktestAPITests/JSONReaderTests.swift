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
}
