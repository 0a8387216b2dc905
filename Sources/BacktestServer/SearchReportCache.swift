import BacktestAPI
import NIOConcurrencyHelpers

/// The assembled finished searches by job id: the report `GET /v1/optimizations/{id}` returns
/// and what the search's page (`GET /v1/optimizations/{id}/report`) draws, so that polling a
/// finished search or viewing its page again does not merge its units and compute its
/// robustness block again (a finished search never changes; a deleted one is 404 before the
/// cache is asked).
///
/// Requests for a search being assembled wait for that assembly instead of starting another;
/// an assembly that fails is not kept (the next request tries again). ``assembled`` counts the
/// assemblies started, as does the metric `backtest_search_assemblies_total`.
final class SearchReportCache: Sendable {
    /// The most searches kept in memory. Default 64.
    static let capacity = 64

    private struct State {
        var done = LRUCache<String, SearchAssembly>(capacity: SearchReportCache.capacity)
        var running: [String: Task<SearchAssembly, any Error>] = [:]
        var assembled = 0
    }

    private let state = NIOLockedValueBox(State())
    private let metrics: ServerMetrics?

    /// A cache that counts its assemblies in `metrics`, when given.
    init(metrics: ServerMetrics? = nil) {
        self.metrics = metrics
    }

    /// Assemblies started since the server started (each a merge of a search's units).
    var assembled: Int { state.withLockedValue { $0.assembled } }

    /// The assembly of search `id`, made by `make` the first time (and again only once it has
    /// left the cache or after a failed attempt).
    func assembly(_ id: String, make: @escaping @Sendable () async throws -> SearchAssembly) async throws -> SearchAssembly {
        enum Lookup {
            case hit(SearchAssembly)
            case wait(Task<SearchAssembly, any Error>, started: Bool)
        }
        let lookup = state.withLockedValue { state -> Lookup in
            if let hit = state.done.get(id) { return .hit(hit) }
            if let running = state.running[id] { return .wait(running, started: false) }
            let task = Task { try await make() }
            state.running[id] = task
            state.assembled += 1
            return .wait(task, started: true)
        }
        switch lookup {
        case .hit(let assembly):
            return assembly
        case .wait(let task, let started):
            if started { metrics?.recordSearchAssembly() }
            do {
                let assembly = try await task.value
                state.withLockedValue { state in
                    if state.running[id] == task {
                        state.running[id] = nil
                        state.done.set(id, assembly)
                    }
                }
                return assembly
            } catch {
                state.withLockedValue { state in
                    if state.running[id] == task { state.running[id] = nil }
                }
                throw error
            }
        }
    }
}
