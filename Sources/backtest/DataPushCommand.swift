import ArgumentParser
import AsyncHTTPClient
import Foundation
import MarketData
import NIOCore

/// `backtest data push FILE.csv --server URL`: uploads a CSV to a server's store
/// (`PUT /v1/tickers/{T}/bars`).
struct DataPushCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "push",
        abstract: "Upload a CSV file of bars to a Backtest server (PUT /v1/tickers/{T}/bars).",
        discussion: "The server validates the file the same way `data import` does. API key: --api-key or env BACKTEST_API_KEY.")

    @Argument(help: "CSV file of bars.")
    var file: String

    @Option(help: "Server base URL, e.g. http://127.0.0.1:8000 (env BACKTEST_SERVER).")
    var server: String?

    @Option(help: "Ticker to upload as (default: the file name without extension).")
    var ticker: String?

    @Flag(help: "Have the server scale Open/High/Low by Adj Close / Close.")
    var adjust = false

    @Option(name: .customLong("api-key"), help: "API key (env BACKTEST_API_KEY).")
    var apiKey: String?

    @Option(help: "Seconds to wait for the server.")
    var timeout: Int = 120

    func run() async throws {
        let environment = ProcessInfo.processInfo.environment
        guard let base = server ?? environment["BACKTEST_SERVER"].flatMap({ $0.isEmpty ? nil : $0 }) else {
            throw CLIError(message: "--server URL is required (or set BACKTEST_SERVER)")
        }
        guard base.hasPrefix("http://") || base.hasPrefix("https://") else {
            throw CLIError(message: "--server: '\(base)' is not an http(s) URL")
        }
        guard let symbol = ticker ?? BarImporter.defaultTicker(forFile: file), MarketDataError.isValidTicker(symbol) else {
            throw CLIError(message: "cannot derive a valid ticker from '\(ticker ?? file)'; pass --ticker")
        }
        guard let data = FileManager.default.contents(atPath: file) else {
            throw CLIError(message: "cannot read \(file)")
        }
        let key = apiKey ?? environment["BACKTEST_API_KEY"].flatMap { $0.isEmpty ? nil : $0 }
        let root = base.hasSuffix("/") ? String(base.dropLast()) : base
        var request = HTTPClientRequest(url: "\(root)/v1/tickers/\(symbol.uppercased())/bars\(adjust ? "?adjust=true" : "")")
        request.method = .PUT
        request.headers.add(name: "Content-Type", value: "text/csv")
        if let key { request.headers.add(name: "Authorization", value: "Bearer \(key)") }
        request.body = .bytes(ByteBuffer(bytes: data))

        let status: Int
        let body: Data
        do {
            let response = try await HTTPClient.shared.execute(request, timeout: .seconds(Int64(timeout)))
            status = Int(response.status.code)
            body = Data(try await response.body.collect(upTo: 4 << 20).readableBytesView)
        } catch {
            throw CLIError(message: "cannot reach \(root): \(error)", exitCode: 1)
        }
        let object = (try? JSONSerialization.jsonObject(with: body)) as? [String: Any]
        guard (200..<300).contains(status) else {
            let detail = object?["detail"] as? String ?? String(decoding: body.prefix(200), as: UTF8.self)
            // The server refusing the file or the key is bad input; anything else is operational.
            throw CLIError(message: "server answered \(status): \(detail)", exitCode: (400..<500).contains(status) && status != 429 ? 2 : 1)
        }
        for case let warning as String in (object?["warnings"] as? [Any]) ?? [] { Terminal.stderr("warning: \(warning)\n") }
        let bars = object?["bars"] as? Int ?? 0
        let first = object?["first"] as? String ?? "?"
        let last = object?["last"] as? String ?? "?"
        let replaced = object?["replaced"] as? Int ?? 0
        Terminal.stdout(
            "uploaded \(symbol.uppercased()) to \(root): \(DataFormat.count(bars)) bars \(first) .. \(last)"
                + (replaced > 0 ? " (replaced \(DataFormat.count(replaced)) bars)" : "") + "\n")
    }
}
