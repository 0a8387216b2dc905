import BacktestAPI
import BacktestEngine
import BacktestJSON

/// The API contract: the OpenAPI 3.1 document the server serves at `GET /openapi.json`.
///
/// It is built here, next to the wire types, rather than written as text: the schemas of
/// statistics, trades and requests come from their coding keys (see
/// `APIDocument+Schemas.swift`), the strategy names from the catalog. Drift the other way
/// (a reply field the document does not know) fails the tests: every schema is strict
/// (`additionalProperties: false`), `ContractTests` validates every reply type as both
/// encoders write it, and the test servers check every reply they send against this
/// document (``JSONSchemaValidator``). CI validates the document with
/// `openapi-spec-validator` and fuzzes the live server with Schemathesis.
///
/// ```swift
/// let bytes = APIDocument.bytes                       // what GET /openapi.json serves
/// let reply = APIDocument.replySchema(path: "/v1/backtests", method: "post", status: 200)
/// ```
public enum APIDocument {
    /// The document.
    public static let value: JSONValue = build()

    /// The document as JSON text (members in key order).
    public static let bytes: [UInt8] = value.jsonBytes()

    /// The document's version of the API.
    public static let version = "1.0.0"

    /// The documented reply of an operation: the path template (`/v1/jobs/{id}`), the
    /// method in lower case and the status. `nil` when the document lists no such reply.
    /// (Replies are written inline, never as `$ref`s.)
    public static func reply(path: String, method: String, status: Int) -> JSONValue? {
        value["paths"]?[path]?[method]?["responses"]?[String(status)]
    }

    /// The body schema of a documented reply for a media type; `nil` when there is none.
    public static func replySchema(path: String, method: String, status: Int, mediaType: String = "application/json") -> JSONValue? {
        reply(path: path, method: method, status: status)?["content"]?[mediaType]?["schema"]
    }

    /// A component schema by name (`BacktestReply`).
    public static func schema(_ name: String) -> JSONValue {
        Schema.ref(name)
    }

    private static func build() -> JSONValue {
        [
            "openapi": "3.1.0",
            "info": [
                "title": "Backtest server",
                "version": .string(version),
                "description": """
                Runs backtests with backtesting.py 0.6.6's semantics on bars held by the server. Every error is \
                application/problem+json. Every route but /health and /ready needs 'Authorization: Bearer KEY' \
                when the server has keys. Field names are snake_case; numbers follow the WireNumber rules.
                """,
            ],
            "security": [["bearer": []]],
            "paths": paths,
            "components": [
                "securitySchemes": ["bearer": ["type": "http", "scheme": "bearer"]],
                "schemas": .object(schemas),
            ],
        ]
    }
}
