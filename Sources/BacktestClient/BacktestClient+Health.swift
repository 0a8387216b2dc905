import BacktestAPI
import BacktestJSON
import Foundation

extension BacktestClient {
    /// A `/health` reply's body, read with ``JSONReader``: `health`, and `batch` for its
    /// concurrency, read it at start-up, where `JSONDecoder`'s first use costs several scans of
    /// the binary's protocol conformance records (BENCHMARKS.md, "Start-up"). A body the
    /// reader refuses goes through `JSONDecoder`, which either reads it or gives the error.
    static func health(from bytes: [UInt8]) throws -> Health {
        if let health = try? readHealth(JSONReader.parse(bytes)) { return health }
        return try JSONDecoder().decode(Health.self, from: Data(bytes))
    }

    /// `Health`'s fields by their wire names (`uptime_s`, `in_flight`), as `Decodable` reads them.
    static func readHealth(_ json: JSONValue) throws(JSONReadError) -> Health {
        let m = try json.members("health")
        guard case .number(let uptime)? = m["uptime_s"] else { throw JSONReadError(message: "health.uptime_s: expected a number") }
        return Health(
            status: try m.string("status", "health"),
            version: try m.string("version", "health"),
            uptimeS: uptime,
            workers: try m.integer("workers", "health"),
            inFlight: try m.integer("in_flight", "health"),
            queued: try m.integer("queued", "health")
        )
    }
}
