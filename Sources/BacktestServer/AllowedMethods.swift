import HTTPTypes
import Hummingbird

/// The methods each route template of a router serves, read from the router's own
/// registered routes (one source), for the replies a path owes a method it does not serve:
/// `405` with `Allow` (RFC 9110 §15.5.6) and `OPTIONS` (§9.3.7).
///
/// A GET route serves HEAD too (the router generates it) and every known path serves
/// OPTIONS; a path no template matches has no entry (it stays `404`).
///
/// ```swift
/// let allowed = AllowedMethods(router.routes.map { ($0.path, $0.method) })
/// allowed.methods(for: "/v1/jobs/42")  // [.get, .head, .options, .delete]
/// ```
struct AllowedMethods: Sendable {
    private let templates: [(path: RouterPath, methods: Set<HTTPRequest.Method>)]

    /// Groups `routes` by template.
    init(_ routes: [(path: RouterPath, method: HTTPRequest.Method)]) {
        var templates: [(path: RouterPath, methods: Set<HTTPRequest.Method>)] = []
        for route in routes {
            if let index = templates.firstIndex(where: { $0.path == route.path }) {
                templates[index].methods.insert(route.method)
            } else {
                templates.append((route.path, [route.method]))
            }
        }
        self.templates = templates
    }

    /// The methods `path` serves, in a fixed order (GET, HEAD, POST, PUT, PATCH, DELETE,
    /// OPTIONS, then any other by name), or `nil` when no template matches it. With several
    /// matching templates, the union.
    func methods(for path: String) -> [HTTPRequest.Method]? {
        let segments = path.split(separator: "/", omittingEmptySubsequences: true)
        var union: Set<HTTPRequest.Method> = []
        var matched = false
        for template in templates where Self.matches(template.path, segments) {
            matched = true
            union.formUnion(template.methods)
        }
        guard matched else { return nil }
        if union.contains(.get) { union.insert(.head) }
        union.insert(.options)
        return union.sorted { Self.rank($0) < Self.rank($1) }
    }

    /// The `Allow` field value for `methods`: `GET, HEAD, OPTIONS`.
    static func allowField(_ methods: [HTTPRequest.Method]) -> String {
        methods.map(\.rawValue).joined(separator: ", ")
    }

    private static let order: [HTTPRequest.Method] = [.get, .head, .post, .put, .patch, .delete, .options]

    private static func rank(_ method: HTTPRequest.Method) -> (Int, String) {
        (order.firstIndex(of: method) ?? order.count, method.rawValue)
    }

    /// Whether the segments of a request path fit `template` as the router matches them: a
    /// literal segment equal, a capture or `*` any one segment, `**` the rest.
    private static func matches(_ template: RouterPath, _ segments: [Substring]) -> Bool {
        var index = 0
        for element in template.components {
            if element.description == "**" { return index < segments.count }
            guard index < segments.count, element ~= segments[index] else { return false }
            index += 1
        }
        return index == segments.count
    }
}
