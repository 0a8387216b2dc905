import BacktestAPI
import BacktestJSON

/// Operations whose body is one of several schemas (`POST /v1/reports`: a backtest or a
/// portfolio).
extension APIDocument {
    /// An operation whose body is exactly one of `bodies` (component schema names, each a
    /// closed object, so at most one matches), with the first one's example.
    static func operation(_ id: String, _ summary: String, oneOf bodies: [String], replies: [Int: JSONValue]) -> JSONValue {
        guard case .object(var members) = operation(id, summary, replies: replies) else { return operation(id, summary, replies: replies) }
        var media: [String: JSONValue] = ["schema": ["oneOf": .array(bodies.map { Schema.ref($0) })]]
        if let first = bodies.first, let example = examples[first] { media["example"] = example }
        members["requestBody"] = ["required": true, "content": ["application/json": .object(media)]]
        return .object(members)
    }
}
