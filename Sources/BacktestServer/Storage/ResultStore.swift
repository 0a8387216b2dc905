/// The result cache's rows: a `BacktestReport` as JSON per cache key (``ResultCache`` writes
/// and reads them). Each method is atomic on its own.
protocol ResultStore: Sendable {
    /// The stored report for a cache key.
    func result(forKey key: String) async throws -> [UInt8]?
    /// Stores reports (a key stored again is replaced and counts as new for pruning).
    func storeResults(_ rows: [(key: String, report: [UInt8])]) async throws
    /// Number of stored results.
    func resultCount() async throws -> Int
    /// When more than `limit` results are stored, deletes the oldest so that `target` remain;
    /// returns how many went and how many are left.
    func pruneResults(above limit: Int, keeping target: Int) async throws -> (removed: Int, remaining: Int)
}
