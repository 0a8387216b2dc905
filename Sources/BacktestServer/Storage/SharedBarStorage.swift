/// Imported bars shared by a cluster's nodes (each keeps a local copy, see
/// ``SharedBarsReplica``); a storage only one node uses shares nothing.
protocol SharedBarStorage: Sendable {
    /// The imported tickers stored for every node, with their content hashes.
    func sharedBarsCatalog() async throws -> [String: String]
    /// One ticker's shared bars (``BarsCodec``) and their source, if stored.
    func sharedBars(ticker: String) async throws -> (source: String, bars: [UInt8])?
    /// Stores (or replaces) a ticker's bars for every node.
    func putSharedBars(ticker: String, source: String, contentHash: String, bars: [UInt8]) async throws
    /// Removes a ticker's shared bars.
    func removeSharedBars(ticker: String) async throws
    /// What other nodes change: `bars:TICKER` when a ticker's shared bars changed.
    func changes() -> AsyncStream<String>
}
