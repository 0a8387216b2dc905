import BacktestAPI
import BacktestContract
import BacktestEngine
import BacktestJSON
import Foundation
import HTTPTypes
import Hummingbird
import Logging
import MarketData
import NIOCore
import ServiceLifecycle

/// The HTTP routes of the API; each handler reads the request, calls one component
/// (pipeline, job runner, store) and writes the reply.
struct BacktestRoutes: Sendable {
    let configuration: BacktestServer.Configuration
    let state: ServerState
    let metrics: ServerMetrics
    let pool: WorkerPool
    let store: any BarStore
    let pipeline: BacktestPipeline
    let cache: ResultCache?
    let jobs: JobService
    let startedAt: ContinuousClock.Instant
    /// Writes uploads into the imported store; `nil` serves 503 on the data routes.
    var importer: BarImporter? = nil
    /// The storage the nodes of a cluster share imported bars through; `nil` alone.
    var shared: (any SharedBarStorage)? = nil
    /// Whether the database answers (`/ready` is 503 while not); nil: not watched.
    var probe: StorageProbe? = nil
    /// Where the contract check logs what it finds.
    var logger = Logger(label: "backtest.contract")
    /// Recent portfolio replies (`POST /v1/portfolios`).
    var portfolioReplies = PortfolioReplyCache()
    /// Finished searches' reports and pages (`GET /v1/optimizations/{id}` and its `/report`).
    var searchReports = SearchReportCache()

    /// Portfolio backtests on this server's bars and workers.
    var portfolios: PortfolioService { PortfolioService(store: store, pool: pool, cache: portfolioReplies) }

    /// Builds the router with its middleware (metrics, problems, API keys). Every GET route
    /// serves HEAD too; a known path answers OPTIONS and refuses a method it does not serve
    /// with 405 and `Allow` (``MethodNotAllowedMiddleware``, from the registered routes).
    func makeRouter() -> Router<BasicRequestContext> {
        let router = Router(context: BasicRequestContext.self, options: .autoGenerateHeadEndpoints)
        router.add(middleware: MetricsMiddleware(metrics: metrics))
        if configuration.checksReplies { router.add(middleware: ContractCheckMiddleware(logger: logger)) }
        router.add(middleware: ProblemMiddleware())
        router.add(middleware: APIKeyMiddleware(keys: APIKeys(configuration.apiKeys), publicPaths: ["/health", "/ready", "/"]))
        if let probe { router.add(middleware: StorageGuardMiddleware(probe: probe)) }

        router.get("/health") { _, _ in try self.health() }
        router.get("/ready") { _, _ in try self.ready() }
        router.get("/metrics") { _, _ in await self.metricsText() }
        router.get("/openapi.json") { _, _ in
            Response(status: .ok, headers: [.contentType: "application/json"], body: .init(byteBuffer: ByteBuffer(bytes: APIDocument.bytes)))
        }
        router.get("/v1/strategies") { _, _ in
            try JSONCoding.response(StrategyList(strategies: StrategyCatalog.all.map(StrategyInfo.init)))
        }
        router.get("/v1/tickers") { _, _ in try self.tickers() }
        router.post("/v1/backtests") { request, context in try await self.backtest(request, context) }
        router.post("/v1/backtests/batch") { request, context in try await self.batch(request, context) }
        router.post("/v1/jobs") { request, context in try await self.createJob(request, context) }
        router.get("/v1/jobs/:id") { _, context in
            JSONCoding.response(try await self.jobs.status(try self.jobID(context)))
        }
        router.post("/v1/jobs/:id/cancel") { _, context in
            JSONCoding.response(try await self.jobs.cancel(try self.jobID(context)))
        }
        router.delete("/v1/jobs/:id") { _, context in
            // Deletes a batch or portfolio job only: a search is deleted on its own route (a
            // client, or a fuzzer, that mixes the two must not remove a search it still reads there).
            let id = try self.jobID(context)
            try await self.jobs.require(id, is: .backtests, .portfolios)
            try await self.jobs.delete(id)
            return Response(status: .noContent)
        }
        router.get("/v1/jobs/:id/events") { _, context in try await self.jobEvents(context) }
        router.get("/v1/cluster") { _, _ in
            do {
                return try JSONCoding.response(try await self.jobs.clusterStatus())
            } catch {
                throw Problem(code: .storeFailure, detail: "cannot read the cluster's state: \(error)")
            }
        }
        addOptimizationRoutes(to: router)
        addPortfolioRoutes(to: router)
        addReportRoutes(to: router)
        addDataRoutes(to: router)
        // Last: it wraps only the not-found responder, and sees every route above.
        router.add(middleware: MethodNotAllowedMiddleware(allowed: AllowedMethods(router.routes.map { ($0.path, $0.method) })))
        return router
    }

    // MARK: - Handlers

    func health() throws -> Response {
        let pool = pool.snapshot
        let health = Health(
            status: state.current == .draining ? "draining" : "ok",
            version: BacktestServer.version,
            uptimeS: (ContinuousClock.now - startedAt).seconds,
            workers: pool.workers,
            inFlight: pool.inFlight,
            queued: pool.queued
        )
        return try JSONCoding.response(health)
    }

    func ready() throws -> Response {
        switch state.current {
        case .ready:
            if let probe, !probe.isReachable { throw StorageGuard.unavailable(probe) }
            return Response(
                status: .ok,
                headers: [.contentType: "application/json"],
                body: .init(byteBuffer: ByteBuffer(string: #"{"status":"ready"}"#))
            )
        case .starting:
            throw Problem(code: .starting, detail: "the server is starting")
        case .draining:
            throw ServerState.Draining()
        }
    }

    func metricsText() async -> Response {
        let text = metrics.render(
            pool: pool.snapshot,
            activeJobs: await jobs.activeCounts(),
            cluster: try? await jobs.clusterStatus(),
            cacheEntries: cache?.memoryCount ?? 0
        )
        return Response(
            status: .ok,
            headers: [.contentType: "text/plain; version=0.0.4; charset=utf-8"],
            body: .init(byteBuffer: ByteBuffer(bytes: text))
        )
    }

    func tickers() throws -> Response {
        let list: [TickerSummary]
        do {
            list = try store.tickers()
        } catch {
            throw Problem(error)
        }
        return try JSONCoding.response(
            TickerList(
                tickers: list.map {
                    TickerInfo(ticker: $0.ticker, first: Self.label($0.first), last: Self.label($0.last), bars: $0.count, source: $0.source)
                }
            )
        )
    }

    func backtest(_ request: Request, _ context: BasicRequestContext) async throws -> Response {
        try state.checkAcceptingWork()
        var request = request
        let body = try await request.collectBody(upTo: configuration.maxBodyBytes)
        let backtest = try JSONCoding.decode(BacktestRequest.self, from: body)
        do {
            return try JSONCoding.response(try await pipeline.run(backtest))
        } catch let overloaded as WorkerPool.Overloaded {
            metrics.recordRejection()
            throw overloaded
        }
    }

    func batch(_ request: Request, _ context: BasicRequestContext) async throws -> Response {
        try state.checkAcceptingWork()
        // Refused before the body is read when the queue is already full (a cheap 429), and
        // admitted as a whole once its size is known: its items count as waiting until
        // submitted, so many large batches cannot queue behind a short --queue-limit.
        do {
            if let overloaded = pool.isOverloaded() { throw overloaded }
            let body = try await readBatch(request)
            let reservation = try pool.admit(batchOf: body.entries.count)
            return try await runBatch(body, reservation: reservation, requestID: context.id)
        } catch let overloaded as WorkerPool.Overloaded {
            metrics.recordRejection()
            throw overloaded
        }
    }

    private func runBatch(_ body: BatchBody, reservation: WorkerPool.BatchReservation, requestID: String) async throws -> Response {
        defer { reservation.release() }
        let pipeline = self.pipeline
        let limit = configuration.itemConcurrency
        var items = [BatchItem?](repeating: nil, count: body.entries.count)
        await withTaskGroup(of: BatchOutcome.self) { group in
            var next = 0
            func addNext() {
                guard next < body.entries.count else { return }
                let index = next
                let entry = body.entries[index]
                next += 1
                reservation.take()
                group.addTask { BatchOutcome(item: await pipeline.item(index: index, entry, requestID: requestID)) }
            }
            for _ in 0..<limit { addNext() }
            while let outcome = await group.next() {
                items[outcome.item.index] = outcome.item
                addNext()
            }
        }
        return try JSONCoding.response(BatchReply(results: items.compactMap { $0 }))
    }

    /// `POST /v1/jobs`: a batch of backtests, or (with `portfolios`) of portfolio backtests.
    func createJob(_ request: Request, _ context: BasicRequestContext) async throws -> Response {
        try state.checkAcceptingWork()
        var request = request
        let id: String
        switch try JSONCoding.decode(JobBody.self, from: try await request.collectBody(upTo: configuration.maxBodyBytes)) {
        case .backtests(let body):
            try body.checkSize(limit: BatchRequest.maxJobItems)
            id = try await createBatchJob(body, requestID: context.id)
        case .portfolios(let body):
            id = try await createPortfolioJob(body, requestID: context.id)
        }
        let created = JobCreated(id: id, statusUrl: "/v1/jobs/\(id)", eventsUrl: "/v1/jobs/\(id)/events")
        return try JSONCoding.response(created, status: .accepted, headers: [.location: created.statusUrl])
    }

    /// Queues a batch job; its entries that did not decode fail as their items at once.
    private func createBatchJob(_ body: BatchBody, requestID: String) async throws -> String {
        let work = BatchJob(requests: body.entries.map { try? $0.get() }, pipeline: pipeline)
        var initial: [JobItemOutcome] = []
        for (index, entry) in body.entries.enumerated() {
            if case .failure = entry {
                let item = await pipeline.item(index: index, entry, requestID: requestID)
                initial.append(JobItemOutcome(index: index, bytes: item.jsonBytes()))
            }
        }
        return try await jobs.create(work, initial: initial)
    }

    func jobEvents(_ context: BasicRequestContext) async throws -> Response {
        let feed = try await jobs.feed(try jobID(context))
        let body = ResponseBody { writer in
            for event in feed.replay { try await writer.write(Self.serverSentEvent(event)) }
            if let live = feed.live {
                // A server shutting down ends its streams (without `done`): clients reconnect to
                // another node or poll the status.
                for await event in live.cancelOnGracefulShutdown() {
                    try await writer.write(Self.serverSentEvent(event))
                    if case .done = event { break }
                }
            }
            try await writer.finish(nil)
        }
        return Response(status: .ok, headers: [.contentType: "text/event-stream", .cacheControl: "no-cache"], body: body)
    }

    // MARK: - Helpers

    /// Runs CPU work (planning a search, merging its units, building a page) on a worker,
    /// off the event loops; an error is the reply's problem (a report's own error a 500).
    func onWorker<T: Sendable>(_ work: @escaping @Sendable () throws -> T) async throws -> T {
        let outcome = try await pool.run(admission: .always, measured: false) { () -> WorkerOutcome<T> in
            do {
                return WorkerOutcome(result: .success(try work()))
            } catch {
                return WorkerOutcome(result: .failure(Problem(error)))
            }
        }
        return try outcome.result.get()
    }

    /// The result of one batch item, wrapped (not a tuple) for the task group.
    struct BatchOutcome: Sendable {
        var item: BatchItem
    }

    private func readBatch(_ request: Request, limit: Int = BatchRequest.maxItems) async throws -> BatchBody {
        var request = request
        let body = try await request.collectBody(upTo: configuration.maxBodyBytes)
        let batch = try JSONCoding.decode(BatchBody.self, from: body)
        try batch.checkSize(limit: limit)
        return batch
    }

    func jobID(_ context: BasicRequestContext) throws -> String {
        guard let id = context.parameters.get("id"), !id.isEmpty else {
            throw Problem(code: .unknownJob, detail: "missing job id", field: "id")
        }
        return id
    }

    static func serverSentEvent(_ event: JobEvents.Event) -> ByteBuffer {
        let name: String
        let data: [UInt8]
        switch event {
        case .keepAlive:
            return ByteBuffer(string: ": keep-alive\n\n")
        case .item(let progress, let stored):
            // `{"progress":…,"item":…}` (a JobItemEvent) around the item as stored.
            var writer = JSONWriter()
            writer.object { w in
                w.key("progress")
                progress.write(to: &w)
                w.key("item")
                w.encoded(stored)
            }
            name = "item"
            data = writer.bytes
        case .progress(let progress):
            name = "progress"
            data = progress.jsonBytes()
        case .done(let status):
            name = "done"
            data = status.jsonBytes()
        }
        var buffer = ByteBuffer()
        buffer.writeString("event: \(name)\ndata: ")
        buffer.writeBytes(data)
        buffer.writeString("\n\n")
        return buffer
    }
}

extension Duration {
    /// The duration in seconds.
    var seconds: Double {
        Double(components.seconds) + Double(components.attoseconds) / 1e18
    }
}

/// CPU work's outcome, wrapped (not a tuple) for the worker pool.
struct WorkerOutcome<T: Sendable>: Sendable {
    var result: Result<T, Problem>
}
