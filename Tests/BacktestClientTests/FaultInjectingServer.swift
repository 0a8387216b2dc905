import BacktestAPI
import BacktestEngine
import Foundation
import NIOCore
import NIOHTTP1
import NIOPosix

/// A test double of the network: an HTTP/1.1 server on 127.0.0.1 (port 0) whose every
/// request is answered by a script, which can reply, delay, hang or reset the connection.
/// Counts the connections it accepted.
final class FaultInjectingServer: Sendable {
    /// What to do with one request.
    enum Action: Sendable {
        case reply(status: Int, headers: [(String, String)] = [], body: [UInt8] = [])
        case reset
        case hang
        indirect case delay(Double, Action)
        /// Replies as keep-alive (no `Connection: close`), then closes the connection: a
        /// server dropping a connection that the client then holds idle.
        case replyThenClose(status: Int, body: [UInt8])
    }

    /// One received request.
    struct Received: Sendable {
        var method: String
        var path: String
        var body: [UInt8]
        var headers: [(String, String)]
    }

    typealias Script = @Sendable (_ request: Received, _ number: Int) -> Action

    private let group: MultiThreadedEventLoopGroup
    private let channel: any Channel
    private let state: LockedBox<State>
    private let childChannels: LockedBox<[any Channel]>

    struct State {
        var connections = 0
        var requests: [Received] = []
    }

    /// The server's port.
    let port: Int
    /// The server's URL.
    var url: String { "http://127.0.0.1:\(port)" }

    /// Connections accepted so far.
    var connections: Int { state.withLock { $0.connections } }
    /// Requests received so far.
    var requests: [Received] { state.withLock { $0.requests } }

    init(script: @escaping Script) async throws {
        let group = MultiThreadedEventLoopGroup(numberOfThreads: 1)
        let state = LockedBox(State())
        let children = LockedBox<[any Channel]>([])
        self.group = group
        self.state = state
        self.childChannels = children
        let bootstrap = ServerBootstrap(group: group)
            .serverChannelOption(.backlog, value: 256)
            .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
            .childChannelInitializer { channel in
                state.withLock { $0.connections += 1 }
                children.withLock { $0.append(channel) }
                return channel.pipeline.configureHTTPServerPipeline().flatMap {
                    channel.pipeline.addHandler(ScriptHandler(script: script, state: state))
                }
            }
        channel = try await bootstrap.bind(host: "127.0.0.1", port: 0).get()
        port = channel.localAddress?.port ?? 0
    }

    /// Stops accepting and closes every connection (a server that went away).
    func stop() async {
        try? await channel.close()
        for child in childChannels.withLock({ $0 }) { try? await child.close() }
    }

    /// Stops and releases the event loop.
    func shutdown() async {
        await stop()
        try? await group.shutdownGracefully()
    }

    private final class ScriptHandler: ChannelInboundHandler, @unchecked Sendable {
        typealias InboundIn = HTTPServerRequestPart
        typealias OutboundOut = HTTPServerResponsePart
        let script: Script
        let state: LockedBox<State>
        var head: HTTPRequestHead?
        var body: [UInt8] = []

        init(script: @escaping Script, state: LockedBox<State>) {
            self.script = script
            self.state = state
        }

        func channelRead(context: ChannelHandlerContext, data: NIOAny) {
            switch unwrapInboundIn(data) {
            case .head(let h):
                head = h
                body = []
            case .body(let buffer):
                body += buffer.readableBytesView
            case .end:
                guard let head else { return }
                let received = Received(
                    method: head.method.rawValue,
                    path: head.uri,
                    body: body,
                    headers: head.headers.map { ($0.name, $0.value) }
                )
                let number = state.withLock { s in
                    s.requests.append(received)
                    return s.requests.count
                }
                perform(script(received, number), context: context, keepAlive: head.isKeepAlive)
            }
        }

        func perform(_ action: Action, context: ChannelHandlerContext, keepAlive: Bool) {
            switch action {
            case .hang:
                return
            case .reset:
                context.close(promise: nil)
            case .delay(let seconds, let next):
                let loopBound = NIOLoopBound((self, context), eventLoop: context.eventLoop)
                context.eventLoop.scheduleTask(in: .milliseconds(Int64(seconds * 1000))) {
                    let (handler, context) = loopBound.value
                    handler.perform(next, context: context, keepAlive: keepAlive)
                }
            case .reply(let status, let extra, let bytes):
                reply(status: status, headers: extra, body: bytes, context: context, announcedClose: !keepAlive)
            case .replyThenClose(let status, let bytes):
                reply(status: status, headers: [], body: bytes, context: context, announcedClose: false, close: true)
            }
        }

        /// Writes a reply; closes the connection after it when `announcedClose` (with
        /// `Connection: close`) or `close` (without).
        func reply(
            status: Int,
            headers extra: [(String, String)],
            body bytes: [UInt8],
            context: ChannelHandlerContext,
            announcedClose: Bool,
            close: Bool = false
        ) {
            var headers = HTTPHeaders([("Content-Length", String(bytes.count)), ("Content-Type", "application/json")])
            for (k, v) in extra { headers.add(name: k, value: v) }
            if announcedClose { headers.add(name: "Connection", value: "close") }
            let head = HTTPResponseHead(version: .http1_1, status: HTTPResponseStatus(statusCode: status), headers: headers)
            context.write(wrapOutboundOut(.head(head)), promise: nil)
            context.write(wrapOutboundOut(.body(.byteBuffer(ByteBuffer(bytes: bytes)))), promise: nil)
            let closing = announcedClose || close
            let channel = context.channel
            context.writeAndFlush(wrapOutboundOut(.end(nil))).whenComplete { _ in
                if closing { channel.close(promise: nil) }
            }
        }
    }
}

/// Canned replies in the wire format.
enum CannedReply {
    static func backtest(ticker: String) -> [UInt8] {
        let reply = BacktestReply(
            ticker: ticker,
            start: "2020-01-02T00:00:00",
            end: "2020-12-31T00:00:00",
            strategy: "sma_cross",
            params: [:],
            stats: Statistics()
        )
        return Array((try? JSONEncoder().encode(reply)) ?? Data())
    }

    static func health(workers: Int) -> [UInt8] {
        let health = Health(status: "ok", version: "test", uptimeS: 1, workers: workers, inFlight: 0, queued: 0)
        return Array((try? JSONEncoder().encode(health)) ?? Data())
    }

    static func problem(_ status: Int, code: ProblemCode) -> [UInt8] {
        Array((try? JSONEncoder().encode(Problem(code: code, title: code.title, status: status, detail: "test \(code)"))) ?? Data())
    }

    /// Answers a batch body with one canned item per request (index order).
    static func batch(for body: [UInt8], failing: Set<String> = []) -> [UInt8] {
        guard let batch = try? JSONDecoder().decode(BatchRequest.self, from: Data(body)) else { return problem(400, code: .malformedJSON) }
        let items = batch.requests.enumerated().map { i, r -> BatchItem in
            let ticker = r.ticker ?? "?"
            if failing.contains(ticker) {
                return BatchItem(
                    index: i,
                    ticker: ticker,
                    error: Problem(code: .unknownTicker, title: "Unknown ticker", status: 404, detail: "no data for \(ticker)")
                )
            }
            let reply = (try? JSONDecoder().decode(BacktestReply.self, from: Data(backtest(ticker: ticker))))
            return BatchItem(index: i, ticker: ticker, result: reply)
        }
        return Array((try? JSONEncoder().encode(BatchReply(results: items))) ?? Data())
    }

    /// The ticker of a single request body.
    static func ticker(of body: [UInt8]) -> String {
        (try? JSONDecoder().decode(BacktestRequest.self, from: Data(body)))?.ticker ?? "?"
    }

    /// A server that behaves: health, single and batch routes.
    static let healthy: FaultInjectingServer.Script = { request, _ in
        switch (request.method, request.path) {
        case ("GET", "/health"): .reply(status: 200, body: health(workers: 4))
        case ("POST", "/v1/backtests"): .reply(status: 200, body: backtest(ticker: ticker(of: request.body)))
        case ("POST", "/v1/backtests/batch"): .reply(status: 200, body: batch(for: request.body))
        default: .reply(status: 404, body: problem(404, code: .notFound))
        }
    }
}
