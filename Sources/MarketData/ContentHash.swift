import Crypto
import Foundation

/// SHA-256 digests (swift-crypto) as the store and the server use them: content hashes of
/// files and bars in lowercase hex, and raw digests of API keys.
///
/// ```swift
/// ContentHash.hex(of: Array("abc".utf8))  // "ba7816bf…f20015ad"
/// ```
public enum ContentHash {
    /// The lowercase hex SHA-256 of `bytes`.
    public static func hex(of bytes: some DataProtocol) -> String {
        hex(SHA256.hash(data: bytes))
    }

    /// The 32-byte SHA-256 of `bytes`.
    public static func digest(of bytes: some DataProtocol) -> [UInt8] {
        Array(SHA256.hash(data: bytes))
    }

    /// A digest in lowercase hex.
    public static func hex(_ digest: SHA256.Digest) -> String {
        let digits = Array("0123456789abcdef".utf8)
        var text: [UInt8] = []
        text.reserveCapacity(64)
        for byte in digest {
            text.append(digits[Int(byte >> 4)])
            text.append(digits[Int(byte & 0xF)])
        }
        return String(decoding: text, as: UTF8.self)
    }
}
