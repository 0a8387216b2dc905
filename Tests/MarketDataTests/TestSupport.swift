import BacktestEngine
import Foundation
import Hummingbird
import Logging
import MarketData
import NIOCore
import Synchronization

/// A fresh temporary folder per test.
func temporaryFolder() throws -> String {
    let path = NSTemporaryDirectory() + "marketdata-test-\(UUID().uuidString)"
    try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
    return path
}

/// A fixture's bytes.
func fixture(_ name: String) throws -> Data {
    guard let url = Bundle.module.url(forResource: "Fixtures", withExtension: nil)?.appendingPathComponent(name),
        let data = FileManager.default.contents(atPath: url.path)
    else { throw TestFailure("missing fixture \(name)") }
    return data
}

/// A failure inside test support code.
struct TestFailure: Error, CustomStringConvertible {
    var description: String
    init(_ description: String) { self.description = description }
}

/// Daily CSV text for `count` weekdays from 2021-01-04 with closes from `close(i)`.
func dailyCSV(count: Int, close: (Int) -> Double) -> String {
    var text = "Date,Open,High,Low,Close,Volume\n"
    var day = Timestamp.days(year: 2021, month: 1, day: 4)
    var written = 0
    while written < count {
        if Timestamp.weekday(day * 86_400) < 5 {
            let c = close(written)
            text += "\(Timestamp.formatDate(day * 86_400)),\(c),\(c * 1.01),\(c * 0.99),\(c),\(1000 + written)\n"
            written += 1
        }
        day += 1
    }
    return text
}

/// The request URIs a ``ProviderServer`` received.
final class RequestLog: Sendable {
    private let uris = Mutex<[String]>([])
    func append(_ uri: String) { uris.withLock { $0.append(uri) } }
    var all: [String] { uris.withLock { $0 } }
}

/// A local HTTP server answering like a price provider: each request is recorded and
/// answered by `reply` (status, content type, body).
struct ProviderServer: Sendable {
    struct Reply: Sendable {
        var status: HTTPResponse.Status
        var contentType: String
        var body: Data
    }

    let baseURL: String
    let log: RequestLog
    private let task: Task<Void, any Error>

    /// The request URIs (path and query) received so far.
    var received: [String] { log.all }

    static func start(_ reply: @escaping @Sendable (Request) -> Reply) async throws -> ProviderServer {
        let log = RequestLog()
        let router = Router()
        let handler: @Sendable (Request, BasicRequestContext) async throws -> Response = { request, _ in
            log.append("\(request.uri)")
            let r = reply(request)
            return Response(status: r.status, headers: [.contentType: r.contentType], body: .init(byteBuffer: ByteBuffer(bytes: r.body)))
        }
        router.get("/v8/finance/chart/:ticker", use: handler)
        router.get("/q/d/l/", use: handler)
        let (addresses, continuation) = AsyncStream.makeStream(of: String.self)
        var logger = Logger(label: "test.provider")
        logger.logLevel = .critical
        let app = Application(
            router: router,
            configuration: .init(address: .hostname("127.0.0.1", port: 0)),
            onServerRunning: { channel in continuation.yield("http://127.0.0.1:\(channel.localAddress?.port ?? 0)") },
            logger: logger
        )
        let task = Task { try await app.runService(gracefulShutdownSignals: []) }
        guard let address = await addresses.first(where: { _ in true }) else { throw TestFailure("the provider server did not start") }
        return ProviderServer(baseURL: address, log: log, task: task)
    }

    func stop() async {
        task.cancel()
        _ = try? await task.value
    }
}
