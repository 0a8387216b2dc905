import BacktestAPI
import Hummingbird

/// Requires `Authorization: Bearer KEY` with a configured key on every route but the
/// public ones (`/health`, `/ready`). The key itself is never logged.
struct APIKeyMiddleware<Context: RequestContext>: RouterMiddleware {
    let keys: APIKeys
    let publicPaths: Set<String>

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        if keys.isEmpty || publicPaths.contains(request.uri.path) {
            return try await next(request, context)
        }
        guard let header = request.headers[.authorization] else {
            throw Problem(code: .unauthorized, detail: "missing API key: send 'Authorization: Bearer KEY'")
        }
        let prefix = "Bearer "
        guard header.count > prefix.count, header.prefix(prefix.count).lowercased() == prefix.lowercased() else {
            throw Problem(code: .unauthorized, detail: "the Authorization header must be 'Bearer KEY'")
        }
        guard keys.accepts(String(header.dropFirst(prefix.count))) else {
            throw Problem(code: .unauthorized, detail: "wrong API key")
        }
        return try await next(request, context)
    }
}
