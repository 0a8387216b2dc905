import BacktestAPI
import BacktestClient
import BacktestEngine
import Foundation

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
            out += TextColumns.line(cells, separator: "  ") + "\n"
            if i == 0 { out += TextColumns.line(widths.map { String(repeating: "-", count: $0) }, separator: "  ") + "\n" }
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
            \(FixedPoint.string(elapsed, decimals: 2)) s on \(TextColumns.line(endpoints.map(\.url), separator: ", ")), \(connections) connection\(connections == 1 ? "" : "s")

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
