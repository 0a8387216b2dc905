import BacktestAPI
import BacktestEngine
import Foundation
import HTTPTypes
import Hummingbird
import MarketData
import NIOCore

extension Problem {
    /// The problem for an invalid request field (422), an unknown strategy or parameter
    /// included.
    init(_ error: BacktestError) {
        let title: String
        switch error.code {
        case "unknown_strategy": title = "Unknown strategy"
        case "unknown_parameter": title = "Unknown parameter"
        case "missing_parameter", "missing_field": title = "Missing field"
        case "invalid_parameter": title = "Invalid parameter"
        case "unknown_field": title = "Unknown field"
        case "insufficient_data": title = "Not enough data"
        default: title = "Invalid field"
        }
        self.init(code: error.code, title: title, status: 422, detail: error.message, field: error.field)
    }

    /// The problem for a market data error: 404 unknown ticker, 422 malformed ticker,
    /// 500 for a data file the server cannot read.
    init(_ error: MarketDataError) {
        switch error.code {
        case "unknown_ticker":
            self.init(code: "unknown_ticker", title: "Unknown ticker", status: 404, detail: error.message, field: "ticker")
        case "invalid_ticker":
            self.init(code: "invalid_field", title: "Invalid field", status: 422, detail: "ticker: \(error.message)", field: "ticker")
        default:
            self.init(code: "bad_market_data", title: "Market data unreadable", status: 500, detail: error.description)
        }
    }

    /// The problem for any error a handler may throw; unknown errors are a 500 carrying
    /// the request id (the caller logs them).
    init(_ error: any Error, requestID: String? = nil) {
        switch error {
        case let problem as Problem:
            self = problem
        case let error as BacktestError:
            self.init(error)
        case let error as MarketDataError:
            self.init(error)
        case let error as WorkerPool.Overloaded:
            self.init(
                code: "overloaded", title: "Too many requests", status: 429,
                detail: "\(error.queued) backtests or uploads are waiting for a worker; retry in \(error.retryAfterSeconds) s")
        case is ServerState.Draining:
            self.init(code: "draining", title: "Service unavailable", status: 503, detail: "the server is shutting down; retry on another instance or later")
        case let error as DecodingError:
            self.init(code: "malformed_json", title: "Malformed JSON", status: 400, detail: Self.describe(error))
        case let error as any HTTPResponseError:
            let status = error.status
            switch status.code {
            case 413:
                self.init(code: "body_too_large", title: "Body too large", status: 413, detail: "the request body is over the server's limit")
            case 404:
                self.init(code: "not_found", title: "Not found", status: 404, detail: "no such route; GET /openapi.json lists the API")
            case 405:
                self.init(code: "method_not_allowed", title: "Method not allowed", status: 405, detail: "this route does not accept that method")
            default:
                self.init(code: "http_\(status.code)", title: status.reasonPhrase, status: status.code, detail: status.reasonPhrase)
            }
        case is CancellationError:
            self.init(code: "cancelled", title: "Cancelled", status: 503, detail: "the work was cancelled (shutdown or job cancel)", requestId: requestID)
        default:
            self.init(code: "internal", title: "Internal server error", status: 500, detail: "an unexpected error occurred; quote request id \(requestID ?? "-")", requestId: requestID)
        }
    }

    private static func describe(_ error: DecodingError) -> String {
        switch error {
        case .dataCorrupted(let context):
            let underlying = (context.underlyingError as NSError?)?.userInfo[NSDebugDescriptionErrorKey] as? String
            return "the body is not valid JSON" + (underlying.map { ": \($0)" } ?? "")
        case .typeMismatch(_, let context), .valueNotFound(_, let context), .keyNotFound(_, let context):
            let path = context.codingPath.map(\.stringValue).joined(separator: ".")
            return "unexpected JSON shape" + (path.isEmpty ? " (expected an object)" : " at \(path)") + ": \(context.debugDescription)"
        @unknown default:
            return "the body is not valid JSON"
        }
    }

    /// Extra headers a problem reply carries (`Retry-After`, `WWW-Authenticate`).
    static func headers(for error: any Error) -> HTTPFields {
        var fields = HTTPFields()
        if let overloaded = error as? WorkerPool.Overloaded {
            fields[.retryAfter] = String(overloaded.retryAfterSeconds)
        } else if error is ServerState.Draining {
            fields[.retryAfter] = "5"
        } else if let problem = error as? Problem, problem.status == 401 {
            fields[.wwwAuthenticate] = "Bearer"
        }
        if fields[.retryAfter] == nil && Problem(error).status == 503 {
            // Every 503 (starting, draining, shutting down) says when to come back.
            fields[.retryAfter] = "5"
        }
        return fields
    }

    /// The `application/problem+json` response.
    func response(headers extra: HTTPFields = [:]) -> Response {
        var headers = extra
        headers[.contentType] = "application/problem+json"
        return Response(
            status: HTTPResponse.Status(code: status), headers: headers, body: ResponseBody(byteBuffer: ByteBuffer(bytes: jsonBytes())))
    }
}
