import BacktestAPI
import BacktestJSON

/// `GET /v1/jobs/{id}`'s reply: a job's status, with its results as stored (each the JSON of
/// a `BatchItem` that this server wrote), spliced into the reply without decoding and
/// encoding them again (for a 10,000-item job that was most of the reply's time).
struct StoredJobStatus: JSONWritable, Sendable {
    /// The status, without results.
    var status: JobStatus
    /// The stored items in index order, once the job has ended.
    var results: [[UInt8]]?

    func write(to writer: inout JSONWriter) {
        status.write(to: &writer, results: results.map { items in { w in for item in items { w.encoded(item) } } })
    }

    /// Whether a stored item is a JSON object (`{…}`): a damaged row is left out of the
    /// reply, as one that did not decode was before.
    static func isObject(_ item: [UInt8]) -> Bool {
        item.first == UInt8(ascii: "{") && item.last == UInt8(ascii: "}")
    }
}
