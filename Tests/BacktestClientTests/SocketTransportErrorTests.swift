import BacktestAPI
import Foundation
import Testing

@testable import BacktestClient

/// The words and codes of the socket transport's failures: those AsyncHTTPClient's
/// failures had, so that a command's error line does not depend on the transport.
@Suite struct SocketTransportErrorTests {
    static let endpoint = Endpoint(host: "127.0.0.1", port: 8123)

    static func error(_ failure: SocketTransport.Failure) -> BacktestClientError {
        BacktestClient.transportError(failure, endpoint: endpoint, connectTimeout: .milliseconds(500), readTimeout: .seconds(600))
    }

    static func reply(_ kind: HTTPReplyDecoder.Failure.Kind, _ message: String) -> SocketTransport.Failure {
        .reply(HTTPReplyDecoder.Failure(kind: kind, message: message))
    }

    @Test func eachFailureInWords() throws {
        let url = "http://127.0.0.1:8123"
        let cases: [(SocketTransport.Failure, ProblemCode, String)] = [
            (.connectTimeout, .connectTimeout, "cannot reach \(url): timed out after 0.5 s connecting"),
            (.readTimeout, .readTimeout, "no reply from \(url): timed out after 600 s"),
            (.hostNotFound, .unreachable, "cannot reach \(url): host not found"),
            (.system(ECONNREFUSED), .unreachable, "cannot reach \(url): connection refused"),
            (.system(ECONNRESET), .unreachable, "cannot reach \(url): connection reset"),
            (.cancelled, .cancelled, "cancelled"),
            (
                Self.reply(.closedWithoutReply, "closed the connection without a reply"), .connectionClosed,
                "no reply from \(url): the server closed the connection (if it serves HTTPS, use https://)"
            ),
            (
                Self.reply(.notHTTP, "sent something that is not HTTP (it starts 15 03 03)"), .connectionClosed,
                "no reply from \(url): the server sent something that is not HTTP (it starts 15 03 03) (if it serves HTTPS, use https://)"
            ),
            (
                Self.reply(.closedEarly, "closed the connection before the end of its reply"), .connectionClosed,
                "no reply from \(url): the server closed the connection before the end of its reply"
            ),
            (
                Self.reply(.tooLarge, "sent a reply over the 64 MiB limit"), .invalidReply,
                "no reply from \(url): the server sent a reply over the 64 MiB limit"
            ),
            (
                Self.reply(.malformed, "sent an invalid chunk size \"zz\""), .invalidReply,
                "no reply from \(url): the server sent an invalid chunk size \"zz\""
            ),
        ]
        for (failure, code, message) in cases {
            let error = Self.error(failure)
            #expect(error.code == code, "\(failure)")
            #expect(error.message == message)
            // The generic path (an `any Error`) words it the same way.
            #expect(
                BacktestClient.transportError(
                    failure as any Error,
                    endpoint: Self.endpoint,
                    connectTimeout: .milliseconds(500),
                    readTimeout: .seconds(600)
                )
                .message == message
            )
        }
    }

    @Test func theRequestOnTheWire() {
        let request = SocketTransport.Request(
            method: "POST",
            path: "/v1/backtests",
            headers: [.init(name: "Accept", value: "application/json")],
            body: Array("{}".utf8)
        )
        let v4 = String(decoding: SocketTransport.message(request, endpoint: Self.endpoint), as: UTF8.self)
        #expect(v4 == "POST /v1/backtests HTTP/1.1\r\nHost: 127.0.0.1:8123\r\nAccept: application/json\r\nContent-Length: 2\r\n\r\n{}")
        let get = SocketTransport.Request(method: "GET", path: "/health", headers: [], body: nil)
        let v6 = String(decoding: SocketTransport.message(get, endpoint: Endpoint(host: "::1", port: 80)), as: UTF8.self)
        #expect(v6 == "GET /health HTTP/1.1\r\nHost: [::1]:80\r\n\r\n")
        let emptyPost = SocketTransport.Request(method: "POST", path: "/x", headers: [], body: nil)
        #expect(String(decoding: SocketTransport.message(emptyPost, endpoint: Self.endpoint), as: UTF8.self).contains("Content-Length: 0\r\n"))
    }
}
