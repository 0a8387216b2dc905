import BacktestAPI
import BacktestEngine
import BacktestJSON
import BacktestOptimize
import BacktestReport
import Foundation
import HTTPTypes
import Hummingbird
import MarketData
import NIOCore

/// Where server errors become problem documents: the one mapping of the engine's and the
/// market data layer's codes to ``ProblemCode``s.
extension Problem {
    /// The problem for an invalid request (422): an engine code becomes the problem code of
    /// the same name.
    init(_ error: BacktestError) {
        self.init(code: ProblemCode(error.code), detail: error.message, field: error.field)
    }

    /// The problem for an invalid search: its code becomes the problem code of the same name
    /// (`too_many_combinations` is a 413, the others 422).
    init(_ error: OptimizeError) {
        self.init(code: ProblemCode(rawValue: error.code.rawValue), detail: error.message, field: error.field)
    }

    /// The problem for a market data error: 404 unknown ticker, 422 malformed ticker,
    /// 500 for a data file the server cannot read.
    init(_ error: MarketDataError) {
        switch error.code {
        case .unknownTicker:
            self.init(code: .unknownTicker, detail: error.message, field: "ticker")
        case .invalidTicker:
            self.init(code: .invalidField, detail: "ticker: \(error.message)", field: "ticker")
        default:
            self.init(code: .badMarketData, detail: error.description)
        }
    }

    /// A refused upload: 422 naming the line for bad bars (the problem code says what is
    /// wrong with them), 500 when the store failed, otherwise like any market data error.
    init(upload error: MarketDataError) {
        if let code = ProblemCode(bars: error.code) {
            self.init(code: code, detail: "\(error.description); nothing was imported", field: "body")
            return
        }
        switch error.code {
        case .database, .databaseBusy:
            self.init(code: .storeFailure, detail: "the bars could not be stored: \(error.message)")
        default:
            self.init(error)
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
        case let error as OptimizeError:
            self.init(error)
        case let error as ReportError:
            // A page that cannot be built from valid data is the server's fault.
            self.init(code: .internal, detail: error.message, requestId: requestID)
        case let error as MethodNotAllowed:
            self.init(code: .methodNotAllowed, detail: "\(error); GET /openapi.json lists the API")
        case let error as WorkerPool.Overloaded:
            self.init(
                code: .overloaded,
                detail: "\(error.queued) backtests or uploads are waiting for a worker; retry in \(error.retryAfterSeconds) s"
            )
        case is ServerState.Draining:
            self.init(code: .draining, detail: "the server is shutting down; retry on another instance or later")
        case let error as DecodingError:
            self.init(code: .malformedJSON, detail: Self.describe(error))
        case let error as any HTTPResponseError:
            let status = error.status
            switch status.code {
            case 413:
                self.init(code: .bodyTooLarge, detail: "the request body is over the server's limit")
            case 404:
                self.init(code: .notFound, detail: "no such route; GET /openapi.json lists the API")
            case 405:
                self.init(code: .methodNotAllowed, detail: "this route does not accept that method")
            default:
                self.init(code: .http(status.code), title: status.reasonPhrase, status: status.code, detail: status.reasonPhrase)
            }
        case is CancellationError:
            self.init(code: .cancelled, detail: "the work was cancelled (shutdown or job cancel)", requestId: requestID)
        default:
            self.init(code: .internal, detail: "an unexpected error occurred; quote request id \(requestID ?? "-")", requestId: requestID)
        }
    }

    /// The HTTP status of the reply. Every server problem has one (its code's); 500 stands
    /// in should one not.
    var statusCode: Int { status ?? 500 }

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

    /// Headers only the error can tell: an overloaded pool's own `Retry-After` estimate, the
    /// `Allow` of a method a path does not serve. (Those that follow from the status are
    /// added by ``response(headers:)``.)
    static func headers(for error: any Error) -> HTTPFields {
        var fields = HTTPFields()
        if let overloaded = error as? WorkerPool.Overloaded {
            fields[.retryAfter] = String(overloaded.retryAfterSeconds)
        }
        if let refused = error as? MethodNotAllowed {
            fields[.allow] = AllowedMethods.allowField(refused.allowed)
        }
        return fields
    }

    /// The `application/problem+json` response,
    /// with the headers its status always carries (the API document requires them): 401
    /// `WWW-Authenticate: Bearer`, 503 `Retry-After: 5` (starting, draining, shutting down)
    /// unless `extra` has one.
    func response(headers extra: HTTPFields = [:]) -> Response {
        var headers = extra
        headers[.contentType] = "application/problem+json"
        switch statusCode {
        case 401: headers[.wwwAuthenticate] = "Bearer"
        case 503 where headers[.retryAfter] == nil: headers[.retryAfter] = "5"
        default: break
        }
        return Response(
            status: HTTPResponse.Status(code: statusCode),
            headers: headers,
            body: ResponseBody(byteBuffer: ByteBuffer(bytes: jsonBytes()))
        )
    }
}

extension ProblemCode {
    /// The problem code of an engine error: the code of the same name.
    init(_ code: BacktestError.Code) {
        switch code {
        case .invalidField: self = .invalidField
        case .missingField: self = .missingField
        case .unknownField: self = .unknownField
        case .unknownStrategy: self = .unknownStrategy
        case .unknownParameter: self = .unknownParameter
        case .missingParameter: self = .missingParameter
        case .invalidParameter: self = .invalidParameter
        case .insufficientData: self = .insufficientData
        case .invalidBars: self = .invalidBars
        case .invalidOrder: self = .invalidOrder
        default: self = .invalidField  // a code added to the engine but not here (a test checks there is none)
        }
    }

    /// The problem code that says what is wrong with uploaded bars; `nil` for market data
    /// errors that are not about the bars themselves.
    init?(bars code: MarketDataError.Code) {
        switch code {
        case .missingColumn: self = .missingColumn
        case .invalidNumber: self = .invalidNumber
        case .invalidDate: self = .invalidDate
        case .invalidPrice: self = .invalidPrice
        case .highBelowLow: self = .highBelowLow
        case .duplicateTimestamp: self = .duplicateTimestamp
        case .empty: self = .empty
        case .unreadable: self = .unreadable
        default: return nil
        }
    }
}
