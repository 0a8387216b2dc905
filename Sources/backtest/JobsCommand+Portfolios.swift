import ArgumentParser
import BacktestAPI
import BacktestClient
import BacktestJSON
import Foundation

/// `backtest jobs status ID` of a portfolio job (`POST /v1/jobs` with `portfolios`): its items
/// are portfolio replies, not backtests, so they get their own table and JSON.
extension JobsCommand {
    /// The status of job `id`: a batch's, or (when its items are not backtests) a portfolio job's.
    enum AnyStatus {
        case batch(JobStatus)
        case portfolios(PortfolioJobStatus)
    }

    /// Reads job `id`'s status, as a portfolio job's when its items are portfolio replies.
    static func anyStatus(_ id: String, client: BacktestClient) async throws(BacktestClientError) -> AnyStatus {
        do throws(BacktestClientError) {
            return .batch(try await client.jobStatus(id))
        } catch  where error.code == .invalidReply {
            return .portfolios(try await client.portfolioJobStatus(id))
        }
    }

    /// Polls a portfolio job's status until it ends (progress on stderr), then prints its
    /// table; exits 1 when the job failed or a portfolio did.
    static func followPortfolios(_ id: String, client: BacktestClient) async throws {
        let reporter = ProgressReporter(enabled: true, terminal: Terminal.stderrIsTerminal)
        let clock = ContinuousClock()
        let start = clock.now
        var status = try await checked { () async throws(BacktestClientError) in try await client.portfolioJobStatus(id) }
        while !status.status.hasEnded {
            reporter.report(BatchProgress(done: status.progress.done, total: status.progress.total, failed: 0, elapsed: (clock.now - start).seconds))
            try await Task.sleep(for: .milliseconds(200))
            status = try await checked { () async throws(BacktestClientError) in try await client.portfolioJobStatus(id) }
        }
        reporter.finish()
        Terminal.stdout(table(status))
        if status.status == .failed || status.items?.contains(where: { $0.error != nil }) == true { throw ExitCode(1) }
    }

    /// `ID  STATE  DONE/TOTAL`, then one row per portfolio: index, tickers, return, Sharpe,
    /// maximum drawdown, or its error.
    static func table(_ status: PortfolioJobStatus) -> String {
        var text = "\(status.id)  \(status.status.rawValue)  \(status.progress.done)/\(status.progress.total)\n"
        guard let items = status.items else { return text }
        var rows = [["#", "tickers", "return_pct", "sharpe_ratio", "max_drawdown_pct", "error"]]
        for item in items {
            var tickers = ""
            if case .object(let reply)? = item.result, case .array(let names)? = reply["tickers"] {
                tickers = names.compactMap { if case .string(let name) = $0 { name } else { nil } }.joined(separator: ",")
            }
            let numbers = ["return_pct", "sharpe_ratio", "max_drawdown_pct"].map { key in
                item.statistic(key).map { String(format: "%.4f", $0) } ?? ""
            }
            let error = item.error.map { "\($0.code.rawValue): \($0.detail)" } ?? ""
            rows.append(["\(item.index)", tickers] + numbers + [error])
        }
        text += TextColumns.render(rows, alignLeft: true)
        let failed = items.filter { $0.error != nil }.count
        text += "\(items.count - failed) succeeded, \(failed) failed\n"
        return text
    }

    /// The status as JSON: the reply's shape (`{id, status, progress, results}`).
    static func json(_ status: PortfolioJobStatus) -> String {
        var writer = JSONWriter()
        writer.object { w in
            w.key("id")
            w.string(status.id)
            w.key("status")
            w.string(status.status.rawValue)
            w.key("progress")
            status.progress.write(to: &w)
            if let items = status.items {
                w.key("results")
                w.array { a in
                    for item in items {
                        a.object { o in
                            o.key("index")
                            o.integer(item.index)
                            if let result = item.result {
                                o.key("result")
                                result.write(to: &o)
                            }
                            if let error = item.error {
                                o.key("error")
                                error.write(to: &o)
                            }
                        }
                    }
                }
            }
        }
        return String(decoding: writer.bytes, as: UTF8.self) + "\n"
    }
}
