import BacktestEngine
import BacktestJSON
import BacktestRules

/// The body of `POST /v1/backtests/batch` and `POST /v1/jobs`: either explicit requests or
/// tickers sharing the other fields.
///
/// ```json
/// {"requests": [{"ticker": "AAPL", "strategy": "sma_cross"}, {"ticker": "MSFT", "strategy": "buy_and_hold"}]}
/// {"tickers": ["AAPL", "MSFT"], "strategy": "sma_cross", "params": {"fast": 10, "slow": 30}}
/// ```
public struct BatchRequest: Sendable, Codable {
    /// The individual backtests, in order.
    public var requests: [BacktestRequest]

    /// The most items one batch may hold.
    public static let maxItems = 1_000
    /// The most items of an asynchronous job (`POST /v1/jobs`), which runs from the work queue.
    public static let maxJobItems = 10_000

    /// Creates a batch of explicit requests.
    public init(requests: [BacktestRequest]) { self.requests = requests }

    public init(from decoder: any Decoder) throws {
        let any = try decoder.container(keyedBy: AnyCodingKey.self)
        if any.contains(AnyCodingKey(stringValue: "requests")) {
            for key in any.allKeys where key.stringValue != "requests" {
                throw BacktestError(
                    code: .unknownField,
                    message: "unknown field '\(key.stringValue)' next to 'requests'",
                    field: key.stringValue
                )
            }
            do {
                requests = try any.decode([BacktestRequest].self, forKey: AnyCodingKey(stringValue: "requests"))
            } catch let error as BacktestError {
                throw error
            } catch {
                throw BacktestError.invalid("requests", "expected a list of backtest requests")
            }
        } else if any.contains(AnyCodingKey(stringValue: "tickers")) {
            let tickers: [String]
            do {
                tickers = try any.decode([String].self, forKey: AnyCodingKey(stringValue: "tickers"))
            } catch {
                throw BacktestError.invalid("tickers", "expected a list of ticker symbols")
            }
            // The shared fields are one request without a ticker.
            let shared = try SharedFields(from: decoder).request
            requests = tickers.map { t in
                var r = shared
                r.ticker = t
                return r
            }
        } else {
            throw BacktestError(code: .missingField, message: "a batch needs 'requests' or 'tickers'", field: "requests")
        }
    }

    public func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: AnyCodingKey.self)
        try c.encode(requests, forKey: AnyCodingKey(stringValue: "requests"))
    }

    /// Decodes the shared fields of a `tickers` batch (every request key but `ticker`/`data`).
    struct SharedFields: Decodable {
        var request: BacktestRequest

        init(from decoder: any Decoder) throws {
            let any = try decoder.container(keyedBy: AnyCodingKey.self)
            for key in any.allKeys where key.stringValue == "ticker" || key.stringValue == "data" {
                throw BacktestError(code: .unknownField, message: "'\(key.stringValue)' is not allowed next to 'tickers'", field: key.stringValue)
            }
            request = try BacktestRequest(from: FilteredDecoder(base: decoder, dropping: "tickers"))
        }
    }
}

/// A decoder that hides one key of its keyed container (so the shared fields of a
/// `tickers` batch decode as a request).
struct FilteredDecoder: Decoder {
    let base: any Decoder
    let dropping: String
    var codingPath: [any CodingKey] { base.codingPath }
    var userInfo: [CodingUserInfoKey: Any] { base.userInfo }

    func container<Key: CodingKey>(keyedBy type: Key.Type) throws -> KeyedDecodingContainer<Key> {
        KeyedDecodingContainer(Filtered<Key>(inner: try base.container(keyedBy: Key.self), dropping: dropping))
    }
    func unkeyedContainer() throws -> any UnkeyedDecodingContainer { try base.unkeyedContainer() }
    func singleValueContainer() throws -> any SingleValueDecodingContainer { try base.singleValueContainer() }

    struct Filtered<Key: CodingKey>: KeyedDecodingContainerProtocol {
        let inner: KeyedDecodingContainer<Key>
        let dropping: String
        var codingPath: [any CodingKey] { inner.codingPath }
        var allKeys: [Key] { inner.allKeys.filter { $0.stringValue != dropping } }
        func contains(_ key: Key) -> Bool { key.stringValue != dropping && inner.contains(key) }
        func decodeNil(forKey key: Key) throws -> Bool { try inner.decodeNil(forKey: key) }
        func decode<T: Decodable>(_ type: T.Type, forKey key: Key) throws -> T { try inner.decode(type, forKey: key) }
        func nestedContainer<NestedKey: CodingKey>(keyedBy type: NestedKey.Type, forKey key: Key) throws -> KeyedDecodingContainer<NestedKey> {
            try inner.nestedContainer(keyedBy: type, forKey: key)
        }
        func nestedUnkeyedContainer(forKey key: Key) throws -> any UnkeyedDecodingContainer { try inner.nestedUnkeyedContainer(forKey: key) }
        func superDecoder() throws -> any Decoder { try inner.superDecoder() }
        func superDecoder(forKey key: Key) throws -> any Decoder { try inner.superDecoder(forKey: key) }
    }
}
