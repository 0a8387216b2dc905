import BacktestAPI
import BacktestJSON
import Foundation
import HTTPTypes
import Hummingbird
import NIOCore

/// The JSON coders of the server and the helpers to read bodies and write replies.
enum JSONCoding {
    /// Shared encoder (thread-safe once configured).
    static let encoder: JSONEncoder = JSONEncoder()
    /// Shared decoder (thread-safe once configured).
    static let decoder: JSONDecoder = JSONDecoder()

    /// Decodes a body; shape errors surface as `DecodingError` (400) and field errors as
    /// the types' own `BacktestError` (422).
    static func decode<T: Decodable>(_ type: T.Type, from body: ByteBuffer) throws -> T {
        try decodeWithDecoder(type, from: body)
    }

    /// Decodes a body that has a plain form: read by ``JSONReader`` and ``PlainJSONReadable``
    /// when it can be (no repeated member names, every value as expected), otherwise by
    /// `JSONDecoder`, which gives the same value or the error.
    static func decode<T: PlainJSONReadable>(_ type: T.Type, from body: ByteBuffer) throws -> T {
        if let json = try? JSONReader.parse(Array(body.readableBytesView), rejectingDuplicateKeys: true), let value = T(plainJSON: json) {
            return value
        }
        return try decodeWithDecoder(type, from: body)
    }

    private static func decodeWithDecoder<T: Decodable>(_ type: T.Type, from body: ByteBuffer) throws -> T {
        guard body.readableBytes > 0 else {
            throw DecodingError.dataCorrupted(.init(codingPath: [], debugDescription: "the body is empty; expected a JSON object"))
        }
        return try body.withUnsafeReadableBytes { raw in
            try decoder.decode(T.self, from: Data(raw))
        }
    }

    /// A JSON response written by ``JSONWriter`` (the replies sent most: backtests,
    /// batches, job items).
    static func response<T: Encodable & JSONWritable>(
        _ value: T,
        status: HTTPResponse.Status = .ok,
        headers extra: HTTPFields = [:]
    ) throws -> Response {
        var headers = extra
        headers[.contentType] = "application/json"
        return Response(status: status, headers: headers, body: ResponseBody(byteBuffer: ByteBuffer(bytes: value.jsonBytes())))
    }

    /// A JSON response from a type that only writes itself (no `Codable` form).
    static func response<T: JSONWritable>(_ value: T, status: HTTPResponse.Status = .ok, headers extra: HTTPFields = [:]) -> Response {
        var headers = extra
        headers[.contentType] = "application/json"
        return Response(status: status, headers: headers, body: ResponseBody(byteBuffer: ByteBuffer(bytes: value.jsonBytes())))
    }

    /// A JSON response.
    static func response<T: Encodable>(_ value: T, status: HTTPResponse.Status = .ok, headers extra: HTTPFields = [:]) throws -> Response {
        let data = try encoder.encode(value)
        var headers = extra
        headers[.contentType] = "application/json"
        return Response(status: status, headers: headers, body: ResponseBody(byteBuffer: ByteBuffer(bytes: data)))
    }
}

/// A body type with a fast reader for its common, valid form, tried before `JSONDecoder`
/// (`JSONCoding.decode(_:from:)`).
protocol PlainJSONReadable: Decodable {
    /// The value `JSONDecoder` would decode from `json`, or `nil` when the reader is not sure
    /// (an error, an unusual shape): then `JSONDecoder` decides.
    init?(plainJSON json: JSONValue)
}

extension BacktestRequest: PlainJSONReadable {}
