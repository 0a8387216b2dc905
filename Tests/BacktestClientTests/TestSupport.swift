import BacktestClient
import Foundation

/// A temporary folder, removed by `remove()`.
struct TemporaryFolder {
    let path: String

    init() throws {
        path = NSTemporaryDirectory() + "backtest-client-tests-" + UUID().uuidString
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
    }

    /// Writes `text` to `name` inside the folder; returns its path.
    @discardableResult
    func write(_ name: String, _ text: String, executable: Bool = false) throws -> String {
        let file = path + "/" + name
        try FileManager.default.createDirectory(
            atPath: (file as NSString).deletingLastPathComponent,
            withIntermediateDirectories: true
        )
        try Data(text.utf8).write(to: URL(fileURLWithPath: file))
        if executable { try FileManager.default.setAttributes([.posixPermissions: 0o755], ofItemAtPath: file) }
        return file
    }

    func remove() { try? FileManager.default.removeItem(atPath: path) }
}

/// Records the waits a client asked for instead of sleeping.
final class RecordedSleeps: @unchecked Sendable {
    private let box = LockedBox<[Double]>([])
    var delays: [Double] { box.withLock { $0 } }
    var sleep: @Sendable (Double) async throws -> Void {
        { [box] seconds in box.withLock { $0.append(seconds) } }
    }
}

extension BacktestClient.Configuration {
    /// Explicit servers, no real waits (recorded in `sleeps`), no jitter, short timeouts.
    static func testing(
        _ urls: String,
        retry: RetryPolicy = RetryPolicy(jitter: false),
        sleeps: RecordedSleeps = RecordedSleeps()
    ) -> Self {
        var c = BacktestClient.Configuration.servers(urls)
        c.retryPolicy = retry
        c.sleep = sleeps.sleep
        c.connectTimeout = .seconds(2)
        c.readTimeout = .seconds(10)
        c.recheckInterval = 0.2
        return c
    }
}

/// Bars as CSV for uploads.
enum BarsCSV {
    /// `count` daily bars from 2021-01-04, closes on a sine wave around 100.
    static func daily(count: Int) -> String {
        let format = Date.ISO8601FormatStyle().year().month().day()
        var text = "Date,Open,High,Low,Close,Volume\n"
        for i in 0..<count {
            let day = Date(timeIntervalSince1970: 1_609_718_400 + Double(i) * 86_400)
            let close = 100 + 20 * sin(Double(i) / 9)
            text += "\(day.formatted(format)),\(close),\(close * 1.02),\(close * 0.98),\(close),1000\n"
        }
        return text
    }

    /// A file whose third line has a close that is not a number.
    static let badClose = "Date,Open,High,Low,Close\n2021-01-04,1,2,0.5,1.5\n2021-01-05,1,2,0.5,oops\n"
}
