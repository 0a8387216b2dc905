import BacktestAPI
import BacktestContract
import BacktestJSON
import HTTPTypes
import Hummingbird
import Logging
import NIOCore

/// Holds every reply to the API document (``APIDocument``): a documented status, the
/// documented media type and required headers, and a body that validates against the
/// reply's schema (each event of an event stream too).
///
/// Turned on by ``BacktestServer/Configuration/checksReplies`` (the test servers do), so
/// that every reply the test suites provoke is checked: a reply that breaks the document is
/// logged and replaced by a 500 `contract_violation` problem naming what broke, which fails
/// the test that provoked it. Costs one parse per reply, so it is off in production.
struct ContractCheckMiddleware<Context: RequestContext>: RouterMiddleware {
    let logger: Logger
    private let validator = JSONSchemaValidator(root: APIDocument.value)

    init(logger: Logger) {
        self.logger = logger
    }

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        let response = try await next(request, context)
        guard let path = context.endpointPath else { return response }
        let method = request.method.rawValue.lowercased()
        let status = response.status.code
        let operation = "\(request.method.rawValue) \(path) \(status)"
        guard APIDocument.value["paths"]?[path]?[method] != nil else { return response }
        guard let reply = APIDocument.reply(path: path, method: method, status: status) else {
            return violation(operation, ["status \(status) is not documented"])
        }
        let mediaType = response.headers[.contentType].map { String($0.prefix { $0 != ";" }) } ?? ""
        if reply["content"] == nil {
            // A reply documented without content (204).
            var problems = missingHeaders(response, documented: reply)
            if !mediaType.isEmpty { problems.append("content type '\(mediaType)' is sent; the reply has no content") }
            return problems.isEmpty ? response : violation(operation, problems)
        }
        guard let schema = reply["content"]?[mediaType]?["schema"] else {
            return violation(operation, ["content type '\(mediaType)' is not documented"])
        }
        var problems = missingHeaders(response, documented: reply)
        if mediaType == "text/event-stream" {
            guard problems.isEmpty else { return violation(operation, problems) }
            return checkingEvents(response, operation: operation)
        }
        guard mediaType.hasSuffix("json") else { return problems.isEmpty ? response : violation(operation, problems) }
        let storage = BodyCollector.Storage()
        try await response.body.write(BodyCollector(storage: storage))
        let bytes = storage.bytes
        do {
            let value = try JSONReader.parse(bytes)
            problems += validator.validate(value, against: schema).map(\.description)
        } catch {
            problems.append("the body is not JSON: \(error)")
        }
        guard problems.isEmpty else { return violation(operation, problems) }
        var checked = response
        checked.body = ResponseBody(byteBuffer: ByteBuffer(bytes: bytes))
        return checked
    }

    private func missingHeaders(_ response: Response, documented reply: JSONValue) -> [String] {
        var missing: [String] = []
        for (name, header) in reply["headers"]?.objectValue ?? [:] where header["required"] == .bool(true) {
            guard let field = HTTPField.Name(name), response.headers[field] != nil else {
                missing.append("required header '\(name)' is missing")
                continue
            }
        }
        return missing
    }

    /// Checks each event of a job's stream against its schema; a bad event ends the stream.
    private func checkingEvents(_ response: Response, operation: String) -> Response {
        var checked = response
        let validator = self.validator
        let logger = self.logger
        checked.body = response.body.map { buffer in
            let text = String(buffer: buffer)
            for block in text.split(separator: "\n\n") {
                let lines = block.split(separator: "\n")
                guard let name = lines.first(where: { $0.hasPrefix("event: ") })?.dropFirst(7),
                    let data = lines.first(where: { $0.hasPrefix("data: ") })?.dropFirst(6)
                else { continue }
                let problems: [String]
                if let schema = APIDocument.eventSchemas[String(name)] {
                    do {
                        problems = validator.validate(try JSONReader.parse(Array(data.utf8)), against: APIDocument.schema(schema)).map(\.description)
                    } catch {
                        problems = ["event data is not JSON: \(error)"]
                    }
                } else {
                    problems = ["event '\(name)' is not in the document"]
                }
                if !problems.isEmpty {
                    logger.error("contract violation", metadata: ["operation": "\(operation) event \(name)", "violations": "\(problems)"])
                    throw ContractViolation(operation: operation, violations: problems)
                }
            }
            return buffer
        }
        return checked
    }

    private func violation(_ operation: String, _ problems: [String]) -> Response {
        logger.error("contract violation", metadata: ["operation": "\(operation)", "violations": "\(problems)"])
        let problem = Problem(
            code: .contractViolation,
            detail: "\(operation): " + problems.prefix(5).joined(separator: "; ")
        )
        return problem.response()
    }
}

/// A reply that does not match the API document (only raised with reply checking on).
struct ContractViolation: Error, CustomStringConvertible {
    var operation: String
    var violations: [String]
    var description: String { "\(operation): \(violations.joined(separator: "; "))" }
}

/// Collects a response body's bytes.
private struct BodyCollector: ResponseBodyWriter {
    final class Storage: @unchecked Sendable {
        var bytes: [UInt8] = []
    }
    let storage: Storage

    mutating func write(_ buffer: ByteBuffer) async throws {
        storage.bytes.append(contentsOf: buffer.readableBytesView)
    }

    consuming func finish(_ trailingHeaders: HTTPFields?) async throws {}
}
