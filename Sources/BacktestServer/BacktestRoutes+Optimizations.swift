import BacktestAPI
import BacktestOptimize
import Foundation
import HTTPTypes
import Hummingbird
import NIOCore

/// `/v1/optimizations`: parameter searches as jobs (stored, resumed, cancellable, with live
/// progress), their results and heatmaps.
extension BacktestRoutes {
    func addOptimizationRoutes(to router: Router<BasicRequestContext>) {
        router.post("/v1/optimizations") { request, context in try await self.createOptimization(request, context) }
        router.get("/v1/optimizations/:id") { _, context in
            try JSONCoding.response(try await self.optimizationStatus(try self.jobID(context)))
        }
        router.delete("/v1/optimizations/:id") { _, context in
            let id = try self.jobID(context)
            _ = try await self.optimizationSnapshot(id)
            _ = try await self.jobs.cancel(id)
            return try JSONCoding.response(try await self.optimizationStatus(id))
        }
        router.get("/v1/optimizations/:id/events") { _, context in
            let id = try self.jobID(context)
            _ = try await self.optimizationSnapshot(id)
            return try await self.jobEvents(context)
        }
        router.get("/v1/optimizations/:id/heatmap") { _, context in try await self.heatmap(try self.jobID(context)) }
    }

    func createOptimization(_ request: Request, _ context: BasicRequestContext) async throws -> Response {
        try state.checkAcceptingWork()
        var request = request
        let body = try await request.collectBody(upTo: configuration.maxBodyBytes)
        let search = try JSONCoding.decode(OptimizationRequest.self, from: body)
        let job = try await prepare { [pipeline, configuration] in
            try OptimizationJob.prepare(search, pipeline: pipeline, limit: configuration.maxCombinations)
        }
        let id = try await jobs.create(job)
        let path = "/v1/optimizations/\(id)"
        let created = JobCreated(id: id, statusUrl: path, eventsUrl: path + "/events")
        return try JSONCoding.response(created, status: .accepted, headers: [.location: path])
    }

    func optimizationStatus(_ id: String) async throws -> OptimizationStatus {
        let snapshot = try await optimizationSnapshot(id)
        let units = OptimizationJob.units(snapshot.items)
        if let progress = snapshot.activeProgress {
            return OptimizationStatus(id: id, status: snapshot.state, progress: progress)
        }
        let job = try await storedJob(snapshot)
        let done = units.keys.reduce(0) { $0 + ($1 < job.itemCount ? job.weight(of: $1) : 0) }
        let total = (0..<job.itemCount).reduce(0) { $0 + job.weight(of: $1) }
        var status = OptimizationStatus(id: id, status: snapshot.state, progress: JobProgress(done: done, total: total))
        switch snapshot.state {
        case .done:
            status.result = try await prepare { try job.report(units) }
        case .failed:
            status.error = units.keys.sorted().lazy.compactMap { units[$0]?.error }.first
        default:
            break
        }
        return status
    }

    func heatmap(_ id: String) async throws -> Response {
        let snapshot = try await optimizationSnapshot(id)
        guard snapshot.state == .done else {
            throw Problem(
                code: .notFinished,
                detail: "the optimization is \(snapshot.state.rawValue); its heatmap is ready once it is done",
                field: "id"
            )
        }
        let job = try await storedJob(snapshot)
        let text = try await prepare { try job.heatmap(OptimizationJob.units(snapshot.items)) }
        return Response(
            status: .ok,
            headers: [.contentType: "text/csv; charset=utf-8", .contentDisposition: "attachment; filename=\"heatmap-\(id).csv\""],
            body: .init(byteBuffer: ByteBuffer(string: text))
        )
    }

    /// The stored job, which must be a search (a batch's id is unknown here).
    private func optimizationSnapshot(_ id: String) async throws -> JobRunner.Snapshot {
        let snapshot = try await jobs.snapshot(id)
        guard snapshot.kind == .optimization else {
            throw Problem(
                code: .unknownJob,
                detail: "no optimization with id '\(id.prefix(64))' (it is a batch job: GET /v1/jobs/\(id.prefix(64)))",
                field: "id"
            )
        }
        return snapshot
    }

    /// A stored search prepared again (its bars read again), on a worker.
    private func storedJob(_ snapshot: JobRunner.Snapshot) async throws -> OptimizationJob {
        let bytes = snapshot.work
        return try await prepare { [pipeline, configuration] in
            try OptimizationJob.decode(bytes, pipeline: pipeline, limit: configuration.maxCombinations)
        }
    }

    /// Runs CPU work (planning a search, merging its units) on a worker, off the event loops.
    private func prepare<T: Sendable>(_ work: @escaping @Sendable () throws -> T) async throws -> T {
        let outcome = try await pool.run(admission: .always, measured: false) { () -> PreparedOutcome<T> in
            do {
                return PreparedOutcome(result: .success(try work()))
            } catch {
                return PreparedOutcome(result: .failure(Problem(error)))
            }
        }
        return try outcome.result.get()
    }
}

/// CPU work's outcome, wrapped (not a tuple) for the worker pool.
struct PreparedOutcome<T: Sendable>: Sendable {
    var result: Result<T, Problem>
}
