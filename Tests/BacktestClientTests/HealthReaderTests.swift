import BacktestAPI
import BacktestJSON
import Foundation
import Testing

@testable import BacktestClient

/// The `/health` reader used at start-up reads what `JSONDecoder` reads, and refuses what it refuses.
@Suite struct HealthReaderTests {
    static let bodies: [String] = [
        #"{"status":"ok","version":"0.1.0","uptime_s":12.5,"workers":2,"in_flight":0,"queued":0}"#,
        #"{"queued":3,"in_flight":1,"workers":8,"uptime_s":0,"version":"1.2.3","status":"draining","extra":[1,{"a":null}]}"#,
        #" { "status" : "ok" , "version" : "x" , "uptime_s" : 1e3 , "workers" : 1 , "in_flight" : 0 , "queued" : 0 } "#,
        #"{"status":"ok","version":"0.1.0","uptime_s":"12","workers":2,"in_flight":0,"queued":0}"#,
        #"{"status":"ok","version":"0.1.0","uptime_s":1,"workers":"2","in_flight":0,"queued":0}"#,
        #"{"status":"ok","version":"0.1.0","uptime_s":1,"workers":2.5,"in_flight":0,"queued":0}"#,
        #"{"status":"ok","version":"0.1.0","uptime_s":1,"workers":2,"in_flight":0}"#,
        #"{"status":null,"version":"0.1.0","uptime_s":1,"workers":2,"in_flight":0,"queued":0}"#,
        #"[1,2]"#, "", "not json",
    ]

    @Test(arguments: bodies)
    func readsWhatJSONDecoderReads(_ body: String) {
        let bytes = Array(body.utf8)
        let decoded = try? JSONDecoder().decode(Health.self, from: Data(bytes))
        #expect((try? BacktestClient.health(from: bytes)) == decoded)
    }

    @Test func theServersReplyIsReadWithoutJSONDecoder() throws {
        let health = Health(status: "ok", version: "0.1.0", uptimeS: 3.25, workers: 2, inFlight: 1, queued: 4)
        let bytes = Array(try JSONEncoder().encode(health))
        #expect(try BacktestClient.readHealth(JSONReader.parse(bytes)) == health)
    }
}
