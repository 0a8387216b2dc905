import BacktestAPI
import BacktestJSON
import Foundation

/// A batch job's requests as stored (the `requests` column): a JSON array of
/// ``BacktestAPI/BacktestRequest`` objects (`null` for an entry that did not decode), which
/// any node decodes before it runs the job's items.
///
/// The requests of a job mostly differ only in their ticker (a `tickers` body is one request
/// per ticker), so each distinct request without its ticker goes through `JSONEncoder` and
/// `JSONDecoder` once, and every entry is that JSON with its `"ticker"` member first:
/// a 10,000-ticker job's requests were about a fifth of a second each way through the coders,
/// a delay before a second node could start on the job. The stored form stays a plain JSON
/// array of requests; rows written by `JSONEncoder` (whose entries also start with the ticker
/// unless they have `data`) are read the same way, and anything else through `JSONDecoder`.
enum StoredRequests {
    /// The requests as stored: each entry `{"ticker":…,` followed by the members of its
    /// request without the ticker, as `JSONEncoder` writes them.
    static func encode(_ requests: [BacktestRequest?]) throws -> [UInt8] {
        var templates: [BacktestRequest: [UInt8]] = [:]
        var out: [UInt8] = [UInt8(ascii: "[")]
        for (position, entry) in requests.enumerated() {
            if position > 0 { out.append(UInt8(ascii: ",")) }
            guard var request = entry else {
                out.append(contentsOf: "null".utf8)
                continue
            }
            let ticker = request.ticker
            request.ticker = nil
            let template: [UInt8]
            if let known = templates[request] {
                template = known
            } else {
                template = Array(try JSONCoding.encoder.encode(request))
                templates[request] = template
            }
            guard let ticker else {
                out.append(contentsOf: template)
                continue
            }
            var writer = JSONWriter(capacity: ticker.utf8.count + 12)
            writer.string(ticker)
            out.append(contentsOf: #"{"ticker":"#.utf8)
            out.append(contentsOf: writer.bytes)
            // The template's members after its `{` (it always has `strategy`).
            out.append(UInt8(ascii: template.count > 2 ? "," : "}"))
            if template.count > 2 { out.append(contentsOf: template.dropFirst()) }
        }
        out.append(UInt8(ascii: "]"))
        return out
    }

    /// The stored requests.
    ///
    /// - Throws: `JSONDecoder`'s error for a row that is not an array of requests.
    static func decode(_ bytes: [UInt8]) throws -> [BacktestRequest?] {
        if let requests = try? bytes.withUnsafeBufferPointer({ buffer in
            var reader = Reader(bytes: buffer)
            return try reader.requests()
        }) {
            return requests
        }
        return try JSONCoding.decoder.decode([BacktestRequest?].self, from: Data(bytes))
    }

    /// Not the shape ``Reader`` reads: the row goes through `JSONDecoder` instead.
    private struct Unread: Error {}

    /// Splits the array into entries and each entry into its ticker and the rest, decoding
    /// each distinct rest once.
    private struct Reader {
        let bytes: UnsafeBufferPointer<UInt8>
        var index = 0
        var decoded: [[UInt8]: BacktestRequest] = [:]

        static let tickerPrefix = Array(#"{"ticker":""#.utf8)

        mutating func requests() throws -> [BacktestRequest?] {
            var requests: [BacktestRequest?] = []
            skipWhitespace()
            try expect(UInt8(ascii: "["))
            skipWhitespace()
            if peek() == UInt8(ascii: "]") {
                index += 1
            } else {
                while true {
                    skipWhitespace()
                    requests.append(try entry())
                    skipWhitespace()
                    if peek() == UInt8(ascii: "]") {
                        index += 1
                        break
                    }
                    try expect(UInt8(ascii: ","))
                }
            }
            skipWhitespace()
            guard index == bytes.count else { throw Unread() }
            return requests
        }

        /// One entry: `null`, or an object whose ticker (if first) is set on its decoded rest.
        mutating func entry() throws -> BacktestRequest? {
            if bytes[index...].starts(with: "null".utf8) {
                index += 4
                return nil
            }
            guard peek() == UInt8(ascii: "{") else { throw Unread() }
            let start = index
            var ticker: String?
            var template: [UInt8]
            if bytes[index...].starts(with: Self.tickerPrefix) {
                index += Self.tickerPrefix.count
                let tickerStart = index
                // A plain string only (an escape goes through JSONDecoder).
                while index < bytes.count, bytes[index] != UInt8(ascii: "\""), bytes[index] != UInt8(ascii: "\\"), bytes[index] >= 0x20 {
                    index += 1
                }
                guard index < bytes.count, bytes[index] == UInt8(ascii: "\"") else { throw Unread() }
                guard let name = String(validating: bytes[tickerStart..<index], as: UTF8.self) else { throw Unread() }
                ticker = name
                index += 1
                template = [UInt8(ascii: "{")]
                if peek() == UInt8(ascii: ",") { index += 1 }
                let rest = index
                try skipObjectRest()
                template.append(contentsOf: bytes[rest..<index])
            } else {
                index += 1
                try skipObjectRest()
                template = Array(bytes[start..<index])
            }
            var request = try decodedTemplate(template)
            if let ticker {
                // A second ticker member in the rest: left to JSONDecoder.
                guard request.ticker == nil else { throw Unread() }
                request.ticker = ticker
            }
            return request
        }

        mutating func decodedTemplate(_ template: [UInt8]) throws -> BacktestRequest {
            if let request = decoded[template] { return request }
            let request = try JSONCoding.decoder.decode(BacktestRequest.self, from: Data(template))
            decoded[template] = request
            return request
        }

        /// Moves past the object's closing `}` (the index is inside the object, between members).
        mutating func skipObjectRest() throws {
            var depth = 1
            var inString = false
            while index < bytes.count {
                let byte = bytes[index]
                index += 1
                if inString {
                    if byte == UInt8(ascii: "\\") {
                        index += 1
                    } else if byte == UInt8(ascii: "\"") {
                        inString = false
                    }
                    continue
                }
                switch byte {
                case UInt8(ascii: "\""): inString = true
                case UInt8(ascii: "{"), UInt8(ascii: "["): depth += 1
                case UInt8(ascii: "}"), UInt8(ascii: "]"):
                    depth -= 1
                    if depth == 0 { return }
                default: break
                }
            }
            throw Unread()
        }

        func peek() -> UInt8? {
            index < bytes.count ? bytes[index] : nil
        }

        mutating func expect(_ byte: UInt8) throws {
            guard peek() == byte else { throw Unread() }
            index += 1
        }

        mutating func skipWhitespace() {
            while let byte = peek(), byte == 0x20 || byte == 0x0A || byte == 0x0D || byte == 0x09 { index += 1 }
        }
    }
}
