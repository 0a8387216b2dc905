/// The nodes sharing a database: each records that it is alive, and any node lists them with
/// the queue's state for `/v1/cluster`, `/health` and `/metrics`.
protocol ClusterRegistry: Sendable {
    /// Records that `node` is alive, listening at `address`.
    func heartbeat(node: String, address: String) async throws
    /// The nodes seen since `since` (seconds since 1970), and the queue's state.
    func clusterStatus(since: Double) async throws -> ClusterSnapshot
    /// Answers when the database can be used, throws when it cannot (`/ready`).
    func ping() async throws
}

/// The nodes and the queue, for `/health` and `/metrics`.
struct ClusterSnapshot: Sendable, Codable, Equatable {
    struct Node: Sendable, Codable, Equatable {
        var id: String
        var address: String
        var seenSecondsAgo: Double

        enum CodingKeys: String, CodingKey {
            case id, address
            case seenSecondsAgo = "seen_s_ago"
        }
    }

    init(nodes: [Node], queued: Int, claimed: Int) {
        self.nodes = nodes
        self.queued = queued
        self.claimed = claimed
    }

    var nodes: [Node]
    /// The node that answered.
    var node = ""
    /// Items waiting for a worker.
    var queued: Int
    /// Items a node holds a lease on.
    var claimed: Int
}
