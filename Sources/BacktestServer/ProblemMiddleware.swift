import BacktestAPI
import Hummingbird
import Logging

/// Turns every error a route throws into an `application/problem+json` reply; server
/// faults (500) are logged with the request id, which the reply carries too.
struct ProblemMiddleware<Context: RequestContext>: RouterMiddleware {
    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        do {
            return try await next(request, context)
        } catch {
            var problem = Problem(error, requestID: context.id)
            if problem.statusCode >= 500 && problem.code != .draining {
                problem.requestId = context.id
                context.logger.error(
                    "request failed",
                    metadata: ["error": "\(String(reflecting: error))", "path": "\(request.uri.path)"]
                )
            }
            return problem.response(headers: Problem.headers(for: error))
        }
    }
}

/// Counts every reply by route pattern, method and status for `/metrics`.
struct MetricsMiddleware<Context: RequestContext>: RouterMiddleware {
    let metrics: ServerMetrics

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        do {
            let response = try await next(request, context)
            metrics.recordRequest(route: context.endpointPath ?? "unmatched", method: request.method.rawValue, status: response.status.code)
            return response
        } catch {
            metrics.recordRequest(route: context.endpointPath ?? "unmatched", method: request.method.rawValue, status: Problem(error).statusCode)
            throw error
        }
    }
}
