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

/// The summary of a batch: rows per ticker, totals, failures, in table, JSON or CSV form.
struct BatchSummary {
    let results: [BatchResult]
    let rows: [BatchResult]

    init(results: [BatchResult], sort: BatchCommand.SortKey?) {
        self.results = results
        let ok = results.filter { if case .success = $0.result { true } else { false } }
        self.rows = sort.map { key in ok.sorted { Self.before($0, $1, by: key) } } ?? ok
    }

    var failed: Int { results.count - rows.count }

    static func stats(_ r: BatchResult) -> Statistics? { try? r.result.get().stats }

    /// The window a successful row covers against the requested one.
    static func coverage(_ r: BatchResult) -> Coverage? {
        guard let reply = try? r.result.get() else { return nil }
        return reply.coverage
            ?? Coverage(requestedStart: r.request.start, requestedEnd: r.request.end, firstBar: reply.start, lastBar: reply.end)
    }

    /// One line per row whose data starts late or ends early, after a blank line.
    func coverageNotes() -> String {
        let short = rows.compactMap { r in Self.coverage(r).flatMap { $0.isShort ? $0.footnote(r.request.ticker ?? "?") : nil } }
        guard !short.isEmpty else { return "" }
        return "\n* covers less than asked (statistics not comparable with the other rows):\n" + short.map { "  \($0)\n" }.joined()
    }

    static func before(_ a: BatchResult, _ b: BatchResult, by key: BatchCommand.SortKey) -> Bool {
        guard let x = stats(a), let y = stats(b) else { return false }
        func desc(_ p: KeyPath<Statistics, Double>) -> Bool {
            let u = x[keyPath: p]
            let v = y[keyPath: p]
            if u.isNaN != v.isNaN { return v.isNaN }  // NaN last
            return u > v
        }
        switch key {
        case .ticker: return (a.request.ticker ?? "") < (b.request.ticker ?? "")
        case .sharpe: return desc(\.sharpeRatio)
        case .return: return desc(\.returnPct)
        case .drawdown: return desc(\.maxDrawdownPct)
        case .trades: return x.trades > y.trades
        case .winrate: return desc(\.winRatePct)
        case .bh: return desc(\.buyHoldReturnPct)
        }
    }

    static func number(_ v: Double, _ digits: Int) -> String {
        v.isNaN ? "-" : FixedPoint.string(v, decimals: digits)
    }

    /// The summary table, one row per successful ticker, then the failed tickers.
    func table() -> String {
        let header = ["Ticker", "Return %", "Sharpe", "Max DD %", "Trades", "Win %", "B&H %"]
        var lines: [[String]] = [header]
        for r in rows {
            guard let s = Self.stats(r) else { continue }
            let marker = Self.coverage(r)?.isShort == true ? "*" : ""
            lines.append([
                (r.request.ticker ?? "?") + marker, Self.number(s.returnPct, 2), Self.number(s.sharpeRatio, 2), Self.number(s.maxDrawdownPct, 2),
                String(s.trades), Self.number(s.winRatePct, 1), Self.number(s.buyHoldReturnPct, 2),
            ])
        }
        let widths = header.indices.map { c in lines.map { $0[c].count }.max() ?? 0 }
        var out = ""
        for (i, line) in lines.enumerated() {
            let cells = line.enumerated().map { c, cell in
                c == 0
                    ? Self.padded(cell, to: widths[c])
                    : String(repeating: " ", count: widths[c] - cell.count) + cell
            }
            out += cells.joined(separator: "  ") + "\n"
            if i == 0 { out += widths.map { String(repeating: "-", count: $0) }.joined(separator: "  ") + "\n" }
        }
        out += coverageNotes()
        if failed > 0 { out += "\n" + failures() }
        return out
    }

    /// `cell` and spaces up to `width` UTF-16 units, as `padding(toLength:withPad:startingAt:)`
    /// pads, without bridging to `NSString` when nothing is cut (the first bridge of a process
    /// costs a scan of the binary's conformance records: BENCHMARKS.md, "Start-up").
    static func padded(_ cell: String, to width: Int) -> String {
        let length = cell.utf16.count
        guard length <= width else { return cell.padding(toLength: width, withPad: " ", startingAt: 0) }
        return cell + String(repeating: " ", count: width - length)
    }

    /// The failed tickers with their errors.
    func failures() -> String {
        var out = "Failed (\(failed)):\n"
        for r in results {
            if case .failure(let error) = r.result {
                let reason = error.problem.map { $0.detail } ?? error.message
                out += "  \(r.request.ticker ?? "#\(r.index)"): \(reason)\n"
            }
        }
        return out
    }

    /// Totals under the table.
    func totals(elapsed: Double, endpoints: [Endpoint], connections: Int) -> String {
        let stats = rows.compactMap(Self.stats)
        func mean(_ p: KeyPath<Statistics, Double>) -> Double {
            let v = stats.map { $0[keyPath: p] }.filter { !$0.isNaN }
            return v.isEmpty ? .nan : v.reduce(0, +) / Double(v.count)
        }
        let trades = stats.map(\.trades).reduce(0, +)
        return """

            \(rows.count) succeeded, \(failed) failed; mean return \(Self.number(mean(\.returnPct), 2)) %, \
            mean Sharpe \(Self.number(mean(\.sharpeRatio), 2)), mean B&H \(Self.number(mean(\.buyHoldReturnPct), 2)) %, \(trades) trades
            \(FixedPoint.string(elapsed, decimals: 2)) s on \(endpoints.map(\.url).joined(separator: ", ")), \(connections) connection\(connections == 1 ? "" : "s")

            """
    }

    /// The batch route's reply shape, `{"results":[{"index","ticker","result"|"error"}]}`,
    /// in request order.
    func json() throws -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        let data = try encoder.encode(BatchReply(results: results.map(\.item)))
        return String(decoding: data, as: UTF8.self) + "\n"
    }

    /// CSV: one line per ticker in summary order, then failed ones with their error.
    func csv() -> String {
        var out = "ticker,return_pct,sharpe_ratio,max_drawdown_pct,trades,win_rate_pct,buy_hold_return_pct,first_bar,last_bar,short_window,error\n"
        func field(_ v: Double) -> String { v.isNaN ? "" : String(v) }
        for r in rows {
            guard let s = Self.stats(r), let coverage = Self.coverage(r) else { continue }
            out += "\(r.request.ticker ?? ""),\(field(s.returnPct)),\(field(s.sharpeRatio)),\(field(s.maxDrawdownPct)),"
            out += "\(s.trades),\(field(s.winRatePct)),\(field(s.buyHoldReturnPct)),"
            out += "\(coverage.firstBar.prefix(10)),\(coverage.lastBar.prefix(10)),\(coverage.isShort),\n"
        }
        for r in results {
            if case .failure(let error) = r.result {
                let reason = (error.problem?.detail ?? error.message).replacingOccurrences(of: "\"", with: "\"\"")
                out += "\(r.request.ticker ?? ""),,,,,,,,,,\"\(reason)\"\n"
            }
        }
        return out
    }
}

/// Progress on stderr: a redrawn bar on a terminal, otherwise a plain line at most every
/// second (and at the end).
final class ProgressReporter: @unchecked Sendable {
    private let lock = NSLock()
    private let enabled: Bool
    private let terminal: Bool
    private var lastLine: Double = -1
    private var drewBar = false
    private var last: BatchProgress?

    init(enabled: Bool, terminal: Bool) {
        self.enabled = enabled
        self.terminal = terminal
    }

    func report(_ p: BatchProgress) {
        guard enabled else { return }
        lock.lock()
        defer { lock.unlock() }
        last = p
        if terminal {
            Terminal.stderr("\r" + Self.bar(p) + "\u{1B}[K")
            drewBar = true
        } else if p.done > 0 && (p.done == p.total || p.elapsed - lastLine >= 1) {
            lastLine = p.elapsed
            Terminal.stderr(Self.line(p) + "\n")
        }
    }

    func finish() {
        lock.lock()
        defer { lock.unlock() }
        if drewBar { Terminal.stderr("\n") }
        drewBar = false
    }

    /// `[########............]  40%  4/10  12.5/s  ETA 0.5s  (1 failed)`
    static func bar(_ p: BatchProgress, width: Int = 24) -> String {
        let filled = Int((p.fraction * Double(width)).rounded(.down))
        let bar = String(repeating: "#", count: filled) + String(repeating: ".", count: width - filled)
        return "[\(bar)] " + line(p, prefix: "")
    }

    /// `progress: 40% 4/10 12.5/s ETA 0.5s (1 failed)`
    static func line(_ p: BatchProgress, prefix: String = "progress: ") -> String {
        // `%3d%%  %d/%d` without `String(format:)`, whose first use of an Int argument costs a
        // scan of the binary's conformance records (BENCHMARKS.md, "Start-up").
        let percent = String(Int((p.fraction * 100).rounded(.down)))
        var s = prefix + String(repeating: " ", count: max(0, 3 - percent.count)) + percent + "%  \(p.done)/\(p.total)"
        if let rate = p.rate { s += "  " + FixedPoint.string(rate, decimals: 1) + "/s" }
        if let eta = p.eta { s += "  ETA " + duration(eta) }
        if p.failed > 0 { s += "  (\(p.failed) failed)" }
        return s
    }

    static func duration(_ seconds: Double) -> String {
        if seconds < 10 { return FixedPoint.string(seconds, decimals: 1) + "s" }
        if seconds < 3600 { return "\(Int(seconds) / 60)m\(FixedPoint.twoDigits(Int(seconds) % 60))s" }
        return "\(Int(seconds) / 3600)h\(FixedPoint.twoDigits(Int(seconds) % 3600 / 60))m"
    }
}
