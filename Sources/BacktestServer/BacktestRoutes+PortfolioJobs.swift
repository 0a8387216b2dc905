import BacktestAPI
import BacktestEngine
import BacktestReport
import Hummingbird
import MarketData
import NIOCore

/// Portfolio jobs (`POST /v1/jobs` with `portfolios`): created here, run as job items on any
/// node (``PortfolioJob``), read and followed on the jobs' routes, and their pages.
extension BacktestRoutes {
    /// Queues a portfolio job; its entries that did not decode (or failed the checks that need
    /// no data) fail as their items at once, naming the field.
    func createPortfolioJob(_ body: PortfolioJobBody, requestID: String) async throws -> String {
        try body.checkSize()
        let service = PortfolioService(store: store, pool: pool, cache: portfolioReplies)
        let work = PortfolioJob(requests: body.entries.map { try? $0.get() }, service: service)
        var initial: [JobItemOutcome] = []
        for (index, entry) in body.entries.enumerated() {
            if case .failure(let error) = entry {
                initial.append(JobItemOutcome(index: index, bytes: PortfolioJob.item(index: index, error: Problem(error, requestID: requestID))))
            }
        }
        return try await jobs.create(work, initial: initial)
    }

    /// `GET /v1/jobs/{id}/report` of an ended portfolio job: a page listing its portfolios
    /// (statistics, equity sparkline, a link each); with `item=N`, that portfolio's own page.
    func portfolioJobReport(_ request: Request, id: String, snapshot: JobService.Snapshot) async throws -> Response {
        let job = try PortfolioJob.decode(snapshot.work, service: portfolios)
        let succeeded = Set(snapshot.items.filter { PortfolioJob.succeeded($0.bytes) }.map(\.index))
        let store = self.store
        if let text = request.uri.queryParameters.getAll("item").last {
            guard let index = Int(text), job.requests.indices.contains(index), let portfolio = job.requests[index], succeeded.contains(index)
            else {
                throw Problem(code: .invalidField, detail: "item: no successful item '\(text.prefix(20))' in this job", field: "item")
            }
            return try Self.htmlResponse(try await onWorker { try Self.portfolioPage(portfolio, store: store) })
        }
        let errors = Dictionary(snapshot.items.compactMap { item in PortfolioJob.errorDetail(item.bytes).map { (item.index, $0) } }) { a, _ in a }
        let page = try await onWorker {
            var rows: [BatchPage.Row] = []
            for (index, portfolio) in job.requests.enumerated() {
                let name = portfolio.map(Self.portfolioLabel) ?? "#\(index)"
                guard let portfolio, succeeded.contains(index) else {
                    rows.append(BatchPage.Row(ticker: name, error: errors[index] ?? "not run"))
                    continue
                }
                do {
                    let result = try Self.portfolioRun(portfolio, store: store)
                    rows.append(
                        BatchPage.Row(
                            ticker: name,
                            statistics: result.statistics,
                            equity: result.equity,
                            report: "/v1/jobs/\(id)/report?item=\(index)"
                        )
                    )
                } catch {
                    rows.append(BatchPage.Row(ticker: name, error: Problem(error).detail))
                }
            }
            return try BatchPage(title: "\(job.requests.count) portfolios", subtitle: "job \(id)", rows: rows, fetchesReports: true).html()
        }
        return try Self.htmlResponse(page)
    }

    /// `equal: AAPL, MSFT, GOOG` (the first five tickers, then a count).
    static func portfolioLabel(_ request: PortfolioRequest) -> String {
        let shown = request.tickers.prefix(5).joined(separator: ", ")
        let more = request.tickers.count > 5 ? " +\(request.tickers.count - 5)" : ""
        return "\(request.settings.allocation.name): \(shown)\(more)"
    }

    /// One portfolio run again on this server's bars (for a job page's row).
    static func portfolioRun(_ request: PortfolioRequest, store: any BarStore) throws -> PortfolioResult {
        let range = try request.dateRange()
        let bars = try request.tickers.map { ticker in try store.bars(for: ticker, from: range.start, through: range.end).bars }
        return try PortfolioBacktest(tickers: request.tickers, bars: bars, settings: request.settings).run(recordWeights: false)
    }
}
