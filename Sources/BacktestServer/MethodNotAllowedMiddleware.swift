import HTTPTypes
import Hummingbird

/// A method the path does not serve; becomes `405 method_not_allowed` with `Allow`.
struct MethodNotAllowed: Error, Sendable, CustomStringConvertible {
    /// The method asked for.
    var method: HTTPRequest.Method
    /// The methods the path serves.
    var allowed: [HTTPRequest.Method]

    var description: String {
        "\(method.rawValue) is not served here; allowed: \(AllowedMethods.allowField(allowed))"
    }
}

/// Answers the requests the router found no route for but whose path is known: `OPTIONS`
/// with `204` and `Allow`, any other method with ``MethodNotAllowed`` (405). Unknown paths
/// stay `404`.
///
/// Added after the last route, so it wraps only the router's not-found responder.
struct MethodNotAllowedMiddleware<Context: RequestContext>: RouterMiddleware {
    let allowed: AllowedMethods

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        guard let methods = allowed.methods(for: request.uri.path) else {
            return try await next(request, context)
        }
        if request.method == .options {
            return Response(status: .noContent, headers: [.allow: AllowedMethods.allowField(methods)])
        }
        throw MethodNotAllowed(method: request.method, allowed: methods)
    }
}
