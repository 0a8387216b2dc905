/// A job's finished items, as stored by ``WorkQueue/complete(_:)``: each the JSON of one
/// item's outcome, stored once.
protocol JobItemStore: Sendable {
    /// The finished items of a job, by index.
    func jobItems(jobID: String) async throws -> [(index: Int, item: [UInt8])]
    /// A job's finished items stored after `seq` (in finishing order), for live events.
    func jobItems(jobID: String, after seq: Int64) async throws -> [StoredItem]
    /// How many items of job `jobID` have finished (without reading them).
    func finishedCount(jobID: String) async throws -> Int
    /// The indices of job `jobID`'s finished items, ascending (without reading the items).
    func finishedIndices(jobID: String) async throws -> [Int]
}

/// A stored item with its place in the finishing order.
struct StoredItem: Sendable {
    var index: Int
    var item: [UInt8]
    var seq: Int64
}
