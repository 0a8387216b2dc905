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
