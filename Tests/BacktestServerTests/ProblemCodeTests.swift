import BacktestAPI
import BacktestEngine
import BacktestJSON
import Foundation
import MarketData
import Testing

@testable import BacktestServer

/// The typed error codes: the wire form round-trips (unknown codes too), server problems
/// carry their code's status and title, and every engine and market data code has a
/// problem code.
@Suite("Problem codes")
struct ProblemCodeTests {
    @Test("every known code round-trips through its raw value and its type URI")
    func roundTrip() {
        for code in ProblemCode.allKnown {
            #expect(code.isRecognized)
            #expect(ProblemCode(rawValue: code.rawValue) == code)
            #expect(code.type == "https://backtest.dev/problems/\(code.rawValue)")
            #expect(ProblemCode(type: code.type) == code)
        }
        #expect(Set(ProblemCode.allKnown.map(\.rawValue)).count == ProblemCode.allKnown.count)
    }

    @Test("a code from a newer server is kept verbatim and equals no known code")
    func unrecognized() throws {
        let code = ProblemCode(rawValue: "quota_exceeded")
        #expect(!code.isRecognized)
        #expect(code.rawValue == "quota_exceeded")
        #expect(code.status == nil)
        #expect(!ProblemCode.allKnown.contains(code))
        let json = #"{"type":"https://backtest.dev/problems/quota_exceeded","title":"Quota exceeded","status":429,"detail":"d"}"#
        let problem = try JSONDecoder().decode(Problem.self, from: Data(json.utf8))
        #expect(problem.code == code)
        #expect(String(decoding: problem.jsonBytes(), as: UTF8.self) == json)
        #expect(Problem(code: problem.code, title: problem.title, status: problem.status, detail: problem.detail) == problem)
    }

    @Test("http_NNN codes carry their status")
    func httpCodes() {
        #expect(ProblemCode.http(502).rawValue == "http_502")
        #expect(ProblemCode(rawValue: "http_502") == .http(502))
        #expect(ProblemCode.http(502).status == 502)
        #expect(!ProblemCode(rawValue: "http_0502").isRecognized)
    }

    @Test("server problems carry the status and title of their code, as on the wire before codes were typed")
    func serverProblems() {
        let expected: [(ProblemCode, Int, String)] = [
            (.malformedJSON, 400, "Malformed JSON"), (.unauthorized, 401, "Unauthorized"), (.unknownTicker, 404, "Unknown ticker"),
            (.unknownJob, 404, "Unknown job"), (.notFound, 404, "Not found"), (.methodNotAllowed, 405, "Method not allowed"),
            (.bodyTooLarge, 413, "Body too large"), (.unsupportedMediaType, 415, "Unsupported media type"),
            (.invalidField, 422, "Invalid field"), (.missingField, 422, "Missing field"), (.missingParameter, 422, "Missing field"),
            (.unknownStrategy, 422, "Unknown strategy"), (.unknownParameter, 422, "Unknown parameter"),
            (.invalidParameter, 422, "Invalid parameter"), (.unknownField, 422, "Unknown field"), (.insufficientData, 422, "Not enough data"),
            (.invalidBars, 422, "Invalid field"), (.invalidOrder, 422, "Invalid field"), (.emptyRange, 422, "Empty date range"),
            (.invalidNumber, 422, "Invalid bars"), (.empty, 422, "Invalid bars"), (.overloaded, 429, "Too many requests"),
            (.internal, 500, "Internal server error"), (.storeFailure, 500, "Internal server error"),
            (.badMarketData, 500, "Market data unreadable"), (.contractViolation, 500, "Reply breaks the API document"),
            (.starting, 503, "Service unavailable"), (.draining, 503, "Service unavailable"), (.noStore, 503, "Service unavailable"),
            (.databaseUnavailable, 503, "Service unavailable"),
            (.cancelled, 503, "Cancelled"),
        ]
        for (code, status, title) in expected {
            let problem = Problem(code: code, detail: "d")
            #expect(problem.status == status, "\(code)")
            #expect(problem.title == title, "\(code)")
        }
    }

    @Test("client-side codes have no status, and a problem without one has no status member")
    func clientSide() throws {
        for code in [ProblemCode.unreachable, .connectTimeout, .readTimeout, .noEndpoint, .invalidReply, .discoveryFailed] {
            #expect(code.status == nil, "\(code)")
        }
        let problem = Problem(code: .unreachable, detail: "cannot reach http://127.0.0.1:1: connection refused")
        let written = String(decoding: problem.jsonBytes(), as: UTF8.self)
        #expect(
            written
                == #"{"type":"https://backtest.dev/problems/unreachable","title":"Server unreachable","detail":"cannot reach http://127.0.0.1:1: connection refused"}"#
        )
        let encoded = try JSONSerialization.jsonObject(with: JSONEncoder().encode(problem)) as? [String: Any]
        #expect(encoded?["status"] == nil)
        #expect(try JSONDecoder().decode(Problem.self, from: Data(written.utf8)) == problem)
        #expect(try Problem(json: JSONReader.parse(Array(written.utf8))) == problem)
    }

    @Test("every engine code becomes the problem code of the same name")
    func engineCodes() {
        for code in BacktestError.Code.allCases {
            let problem = Problem(BacktestError(code: code, message: "m"))
            #expect(problem.code.rawValue == code.rawValue, "\(code)")
            #expect(problem.code.isRecognized && problem.status == 422, "\(code)")
        }
    }

    @Test("every market data code maps to a known problem code, for a lookup and for an upload")
    func marketDataCodes() {
        for code in MarketDataError.Code.allCases {
            let error = MarketDataError(code: code, message: "m", source: "upload", line: 3)
            for problem in [Problem(error), Problem(upload: error)] {
                #expect(problem.code.isRecognized, "\(code)")
                #expect(problem.status == problem.code.status, "\(code)")
            }
        }
        let bad = Problem(upload: MarketDataError(code: .invalidNumber, message: "'x' is not a number", source: "upload", line: 3, column: "Close"))
        #expect(bad == Problem(code: .invalidNumber, detail: "upload:3: column Close: 'x' is not a number; nothing was imported", field: "body"))
        #expect(Problem(upload: MarketDataError(code: .databaseBusy, message: "locked", source: "db")).code == .storeFailure)
        #expect(Problem(upload: MarketDataError(code: .invalidTicker, message: "bad", source: "ticker")).code == .invalidField)
    }
}
