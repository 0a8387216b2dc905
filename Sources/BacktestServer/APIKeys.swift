import Foundation
import MarketData

/// The accepted API keys, kept only as SHA-256 digests and compared in constant time.
///
/// ```swift
/// let keys = APIKeys(["s3cret"])
/// keys.accepts("s3cret")  // true
/// ```
public struct APIKeys: Sendable {
    private let digests: [[UInt8]]

    /// Creates the set from plain keys (blank entries are ignored).
    public init(_ keys: [String]) {
        digests = keys.filter { !$0.isEmpty }.map { ContentHash.digest(of: Array($0.utf8)) }
    }

    /// Whether no key is configured (auth off).
    public var isEmpty: Bool { digests.isEmpty }

    /// Whether `candidate` is one of the keys. Runs in time independent of where or
    /// whether it matches: every stored digest is compared in full.
    public func accepts(_ candidate: String) -> Bool {
        let digest = ContentHash.digest(of: Array(candidate.utf8))
        var matched: UInt8 = 0
        for stored in digests {
            var difference: UInt8 = 0
            for i in 0..<32 { difference |= stored[i] ^ digest[i] }
            matched |= difference == 0 ? 1 : 0
        }
        return matched == 1
    }

    /// Reads keys from a file: one per line; blank lines and `#` comments are skipped.
    public static func load(file path: String) throws(ServerError) -> [String] {
        let text: String
        do {
            text = try String(contentsOfFile: path, encoding: .utf8)
        } catch {
            throw ServerError(code: .apiKeys, message: "cannot read the API key file \(path): \(error.localizedDescription)")
        }
        return text.split(whereSeparator: \.isNewline)
            .map { $0.trimmingCharacters(in: .whitespaces) }
            .filter { !$0.isEmpty && !$0.hasPrefix("#") }
    }
}
