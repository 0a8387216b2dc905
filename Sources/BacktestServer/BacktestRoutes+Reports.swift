import BacktestAPI
import BacktestEngine
import BacktestOptimize
import BacktestReport
import Foundation
import HTTPTypes
import Hummingbird
import MarketData
import NIOCore

/// The pictures: HTML reports of a backtest, a batch job and a search, the dashboard at
/// `GET /`, and the job list it reads. Every HTML reply carries the page's strict
/// Content-Security-Policy as a header too.
extension BacktestRoutes {
    /// The most jobs `GET /v1/jobs` lists.
    static let maxListedJobs = 200

    func addReportRoutes(to router: Router<BasicRequestContext>) {
        router.get("/") { _, _ in try Self.htmlResponse(try ReportTemplate.dashboard.text()) }
        router.get("/v1/jobs") { request, _ in try await self.listJobs(request) }
        router.post("/v1/reports") { request, _ in try await self.backtestReport(request) }
        router.get("/v1/jobs/:id/report") { request, context in try await self.batchReport(request, context) }
        router.get("/v1/optimizations/:id/report") { _, context in try await self.optimizationReport(try self.jobID(context)) }
    }

    func listJobs(_ request: Request) async throws -> Response {
        let values = request.uri.queryParameters.getAll("limit")
        var limit = 20
        if let text = values.last {
            guard values.count == 1, let n = Int(text), (1...Self.maxListedJobs).contains(n) else {
                throw Problem(
                    code: .invalidField,
                    detail: "limit: expected a whole number from 1 to \(Self.maxListedJobs), got '\(text.prefix(20))'",
                    field: "limit"
                )
            }
            limit = n
        }
        return try JSONCoding.response(JobList(jobs: try await jobs.recent(limit: limit)))
    }

    /// `POST /v1/reports`: the body of `POST /v1/backtests` (or of `POST /v1/portfolios`:
    /// an object with `tickers` and `allocation`), the reply a report page.
    func backtestReport(_ request: Request) async throws -> Response {
        try state.checkAcceptingWork()
        var request = request
        let body = try await request.collectBody(upTo: configuration.maxBodyBytes)
        if Self.isPortfolioBody(body) { return try await portfolioReport(body) }
        let backtest = try JSONCoding.decode(BacktestRequest.self, from: body)
        let page = try await onWorker { [pipeline] in try Self.reportPage(backtest, pipeline: pipeline) }
        return try Self.htmlResponse(page)
    }

    /// `GET /v1/jobs/{id}/report`: a finished batch's page; `?item=N` that item's own report
    /// (a portfolio job's: ``portfolioJobReport(_:id:snapshot:)``).
    func batchReport(_ request: Request, _ context: BasicRequestContext) async throws -> Response {
        let id = try jobID(context)
        let snapshot = try await jobs.snapshot(id, of: .backtests, .portfolios)
        guard snapshot.state == .done || snapshot.state == .cancelled else {
            throw Problem(code: .notFinished, detail: "the job is \(snapshot.state.rawValue); its report is ready once it has ended", field: "id")
        }
        if snapshot.kind == .portfolios { return try await portfolioJobReport(request, id: id, snapshot: snapshot) }
        let batch = try BatchJob.decode(snapshot.work, pipeline: pipeline)
        let items = Dictionary(
            snapshot.items.compactMap { stored in BatchJob.item(stored.bytes).map { (stored.index, $0) } }
        ) { a, _ in a }
        let pipeline = self.pipeline
        if let text = request.uri.queryParameters.getAll("item").last {
            guard let index = Int(text), batch.requests.indices.contains(index), let backtest = batch.requests[index], items[index]?.result != nil
            else {
                throw Problem(code: .invalidField, detail: "item: no successful item '\(text.prefix(20))' in this job", field: "item")
            }
            return try Self.htmlResponse(try await onWorker { try Self.reportPage(backtest, pipeline: pipeline) })
        }
        let page = try await onWorker {
            try Self.batchPage(id: id, requests: batch.requests, items: items, pipeline: pipeline)
        }
        return try Self.htmlResponse(page)
    }

    /// `GET /v1/optimizations/{id}/report`: a finished search's page.
    func optimizationReport(_ id: String) async throws -> Response {
        let (snapshot, job) = try await finishedSearch(id, for: "report")
        let assembly = try await searchAssembly(id, job: job, items: snapshot.items)
        let page = try await onWorker {
            try OptimizationPage(
                title: job.title,
                subtitle: job.subtitle,
                report: assembly.report,
                grid: assembly.grid,
                stitched: assembly.stitched
            ).html()
        }
        return try Self.htmlResponse(page)
    }

    // MARK: - Pages

    /// One backtest's report, run again with its trades, equity and indicators.
    static func reportPage(_ backtest: BacktestRequest, pipeline: BacktestPipeline) throws -> String {
        let prepared = try pipeline.validate(backtest)
        let result: BacktestResult
        do {
            result = try Backtest(bars: prepared.bars.bars, settings: prepared.settings).run(prepared.strategy)
        } catch {
            throw Problem(error)
        }
        return try HTMLReport.make(request: backtest, source: prepared.ticker, bars: prepared.bars.bars, result: result).html()
    }

    /// A batch's page: each item run again for its equity sparkline.
    static func batchPage(id: String, requests: [BacktestRequest?], items: [Int: BatchItem], pipeline: BacktestPipeline) throws -> String {
        var rows: [BatchPage.Row] = []
        for (index, request) in requests.enumerated() {
            let ticker = items[index]?.ticker ?? request?.ticker?.uppercased() ?? "#\(index)"
            guard let request, let item = items[index], item.result != nil else {
                rows.append(BatchPage.Row(ticker: ticker, error: items[index]?.error?.detail ?? "not run"))
                continue
            }
            do {
                let prepared = try pipeline.validate(request)
                let result = try Backtest(bars: prepared.bars.bars, settings: prepared.settings).run(prepared.strategy)
                let coverage =
                    item.result?.coverage ?? Coverage(requestedStart: request.start, requestedEnd: request.end, bars: prepared.bars.bars)
                rows.append(
                    BatchPage.Row(
                        ticker: ticker,
                        statistics: result.statistics,
                        equity: result.equity,
                        report: "/v1/jobs/\(id)/report?item=\(index)",
                        coverage: coverage
                    )
                )
            } catch {
                rows.append(BatchPage.Row(ticker: ticker, error: Problem(error).detail))
            }
        }
        let strategies = Set(requests.compactMap { $0?.strategy })
        let title = "\(strategies.count == 1 ? strategies.first ?? "" : "\(strategies.count) strategies") on \(requests.count) backtests"
        return try BatchPage(title: title, subtitle: "job \(id)", rows: rows, fetchesReports: true).html()
    }

    /// A page as the reply: `text/html`, with its Content-Security-Policy as a header too.
    static func htmlResponse(_ page: String) throws -> Response {
        var headers: HTTPFields = [.contentType: "text/html; charset=utf-8", .cacheControl: "no-store"]
        if let policy = ReportTemplate.contentSecurityPolicy(of: page) { headers[.contentSecurityPolicy] = policy + "; frame-ancestors 'none'" }
        headers[HTTPField.Name("X-Content-Type-Options")!] = "nosniff"
        headers[HTTPField.Name("Referrer-Policy")!] = "no-referrer"
        return Response(status: .ok, headers: headers, body: .init(byteBuffer: ByteBuffer(string: page)))
    }
}

extension OptimizationJob {
    /// `sma_cross on GOOG: grid search, maximize sqn`.
    var title: String {
        let request = stored.request
        let method = walkForward != nil ? "walk-forward" : "\(request.method ?? "grid") search"
        let objective = searches[0].optimizer.configuration.objective
        return "\(request.backtest.strategy) on \(searches.map(\.ticker).joined(separator: ", ")): \(method), \(objective)"
    }

    /// Dates, combinations and settings.
    var subtitle: String {
        let bars = searches[0].optimizer.target.bars
        var text = "\(HTMLReport.dateRange(bars)) · \(plan.order.count) of \(searches[0].optimizer.space.count) combinations"
        if let walkForward { text += " · \(walkForward)" }
        return text + HTMLReport.settingsSummary(stored.request.backtest)
    }
}
