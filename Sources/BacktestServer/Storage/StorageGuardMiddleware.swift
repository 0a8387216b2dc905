import BacktestAPI
import Hummingbird

/// Answers requests that use the database with 503 `database_unavailable` (and `Retry-After`)
/// at once while the ``StorageProbe`` finds it unreachable, instead of letting them wait on it.
/// A request already running when the database goes away is bounded by ``StorageGuard``.
/// Other routes (a backtest, the health checks) are not touched.
struct StorageGuardMiddleware<Context: RequestContext>: RouterMiddleware {
    let probe: StorageProbe
    /// The path prefixes whose handlers read or write the database.
    var guarded: [String] = ["/v1/jobs", "/v1/optimizations", "/v1/cluster"]

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        let path = request.uri.path
        if !probe.isReachable, guarded.contains(where: { path.hasPrefix($0) }) { throw StorageGuard.unavailable(probe) }
        return try await next(request, context)
    }
}
