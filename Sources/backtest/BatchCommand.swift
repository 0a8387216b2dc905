import ArgumentParser
import BacktestAPI
import BacktestClient
import BacktestEngine
import BacktestReport
import Foundation

/// `backtest batch`: many tickers at once on a server, with progress and a summary.
struct BatchCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "batch",
        abstract: "Backtest many tickers on a server, concurrently, with a progress bar and a summary.",
        discussion: """
            Finds the server like every remote command (--server, BACKTEST_URL, the config file, \
            BACKTEST_DISCOVER, http://127.0.0.1:8000) and otherwise starts an embedded server with \
            the bundled data. Exit status: 0 when every backtest succeeded, 1 when some failed, 2 for usage errors.

            Example:
              backtest batch AAPL AMZN GOOG META MSFT NVDA --start 2020-01-01 --end 2020-12-31
            """
    )

    /// Output formats.
    enum Format: String, ExpressibleByArgument, CaseIterable {
        case table, json, csv
    }

    /// Sort keys of the summary (best first; `ticker` alphabetically).
    enum SortKey: String, ExpressibleByArgument, CaseIterable {
        case ticker, sharpe, `return`, drawdown, trades, winrate, bh
    }

    @OptionGroup var input: TickerBatchOptions

    @Option(help: ArgumentHelp("Requests in flight at once (default: the server's workers).", valueName: "n"))
    var workers: Int?

    @OptionGroup var remote: RemoteOptions

    @Option(help: "Output: table, json (the batch route's reply shape) or csv.")
    var format: Format = Settings().format

    @Option(
        help: ArgumentHelp("Sort the summary: \(SortKey.allCases.map(\.rawValue).joined(separator: ", ")) (default: as given).", valueName: "key")
    )
    var sort: SortKey?

    @Option(
        help: ArgumentHelp(
            "Also write an HTML page of the batch (a sortable table with equity sparklines), each ticker's own report beside it in FILE-reports/.",
            valueName: "file"
        )
    )
    var html: String?

    func validate() throws {
        if let problem = settings.problem { throw ValidationError(problem) }
    }

    /// The values given, as a plain value that does the work.
    var settings: Settings {
        Settings(input: input.settings, workers: workers, remote: remote.settings, format: format, sort: sort, html: html)
    }

    func run() async throws {
        try await settings.run()
    }

    /// The batch page at `path`, and each successful ticker's own report (made by the server)
    /// in `STEM-reports/TICKER.html` beside it.
    static func writeHTML(_ results: [BatchResult], to path: String, client: BacktestClient) async throws {
        let url = URL(fileURLWithPath: path)
        let folderName = url.deletingPathExtension().lastPathComponent + "-reports"
        let folder = url.deletingLastPathComponent().appendingPathComponent(folderName)
        do {
            try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        } catch {
            throw CLIError(message: "--html: cannot create \(folder.path): \(error.localizedDescription)", exitCode: 1)
        }
        var rows: [BatchPage.Row] = []
        for result in results {
            let ticker = result.request.ticker?.uppercased() ?? "#\(result.index)"
            switch result.result {
            case .success(let reply):
                var request = result.request
                request.include = nil
                let page = try await client.report(request)
                let name = "\(reply.ticker).html"
                try write(page, to: folder.appendingPathComponent(name).path)
                rows.append(
                    BatchPage.Row(
                        ticker: reply.ticker,
                        statistics: reply.stats,
                        equity: reply.equity,
                        report: "\(folderName)/\(name)",
                        coverage: BatchSummary.coverage(result)
                    )
                )
            case .failure(let error):
                rows.append(BatchPage.Row(ticker: ticker, error: error.message))
            }
        }
        let strategies = Set(results.map(\.request.strategy))
        let title = "\(strategies.count == 1 ? strategies.first ?? "" : "\(strategies.count) strategies") on \(results.count) tickers"
        let subtitle =
            results.first.map { r in
                [r.request.start, r.request.end].compactMap { $0 }.joined(separator: " – ") + HTMLReport.settingsSummary(r.request)
            } ?? ""
        try write(try BatchPage(title: title, subtitle: subtitle, rows: rows).html(), to: path)
    }

    static func write(_ page: String, to path: String) throws {
        do {
            try page.write(toFile: path, atomically: true, encoding: .utf8)
        } catch {
            throw CLIError(message: "--html: cannot write \(path): \(error.localizedDescription)", exitCode: 1)
        }
    }
}
