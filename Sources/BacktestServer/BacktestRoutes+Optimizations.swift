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
        router.post("/v1/optimizations/:id/cancel") { _, context in
            let id = try self.jobID(context)
            try await self.jobs.require(id, is: .optimization)
            _ = try await self.jobs.cancel(id)
            return try JSONCoding.response(try await self.optimizationStatus(id))
        }
        router.delete("/v1/optimizations/:id") { _, context in
            let id = try self.jobID(context)
            try await self.jobs.require(id, is: .optimization)
            try await self.jobs.delete(id)
            return Response(status: .noContent)
        }
        router.get("/v1/optimizations/:id/events") { _, context in
            let id = try self.jobID(context)
            try await self.jobs.require(id, is: .optimization)
            return try await self.jobEvents(context)
        }
        router.get("/v1/optimizations/:id/heatmap") { _, context in try await self.heatmap(try self.jobID(context)) }
    }

    func createOptimization(_ request: Request, _ context: BasicRequestContext) async throws -> Response {
        try state.checkAcceptingWork()
        var request = request
        let body = try await request.collectBody(upTo: configuration.maxBodyBytes)
        let search = try JSONCoding.decode(OptimizationRequest.self, from: body)
        let job = try await onWorker { [pipeline, configuration] in
            try SearchJobs.prepare(search, pipeline: pipeline, limit: configuration.maxCombinations)
        }
        let id = try await jobs.create(job)
        let path = "/v1/optimizations/\(id)"
        let created = JobCreated(id: id, statusUrl: path, eventsUrl: path + "/events")
        return try JSONCoding.response(created, status: .accepted, headers: [.location: path])
    }

    func optimizationStatus(_ id: String) async throws -> OptimizationStatus {
        let snapshot = try await jobs.snapshot(id, of: .optimization)
        if let progress = snapshot.activeProgress {
            return OptimizationStatus(id: id, status: snapshot.state, progress: progress)
        }
        let job = try await storedJob(snapshot)
        // Every stored item is a finished unit: the progress needs their indices, not their
        // JSON (a finished search's report comes from the cache without reading them again).
        let progress = JobProgress(done: job.weight(of: snapshot.items.map(\.index)), total: job.totalWeight)
        var status = OptimizationStatus(id: id, status: snapshot.state, progress: progress)
        switch snapshot.state {
        case .done:
            status.result = try await searchAssembly(id, job: job, items: snapshot.items).report
        case .failed:
            let units = SearchJobs.units(snapshot.items)
            status.error = units.keys.sorted().lazy.compactMap { units[$0]?.error }.first
        default:
            break
        }
        return status
    }

    /// A finished search's report and what its page draws, assembled from its stored units
    /// once per node (``SearchReportCache``): the status route and the page share it.
    func searchAssembly(_ id: String, job: any SearchJob, items: [(index: Int, bytes: [UInt8])]) async throws -> SearchAssembly {
        try await searchReports.assembly(id) { try await onWorker { try job.assemble(SearchJobs.units(items), pictures: true) } }
    }

    func heatmap(_ id: String) async throws -> Response {
        let (snapshot, job) = try await finishedSearch(id, for: "heatmap")
        let text = try await onWorker { try job.heatmap(SearchJobs.units(snapshot.items)) }
        return Response(
            status: .ok,
            headers: [.contentType: "text/csv; charset=utf-8", .contentDisposition: "attachment; filename=\"heatmap-\(id).csv\""],
            body: .init(byteBuffer: ByteBuffer(string: text))
        )
    }

    /// Search `id` once it is done, prepared again, for what is made of its result (`what`:
    /// "heatmap", "report"); 409 `not_finished` before.
    func finishedSearch(_ id: String, for what: String) async throws -> (snapshot: JobService.Snapshot, job: any SearchJob) {
        let snapshot = try await jobs.snapshot(id, of: .optimization)
        guard snapshot.state == .done else {
            throw Problem(
                code: .notFinished,
                detail: "the optimization is \(snapshot.state.rawValue); its \(what) is ready once it is done",
                field: "id"
            )
        }
        return (snapshot, try await storedJob(snapshot))
    }

    /// A stored search prepared again (its bars read again), on a worker.
    func storedJob(_ snapshot: JobService.Snapshot) async throws -> any SearchJob {
        let bytes = snapshot.work
        return try await onWorker { [pipeline, configuration] in
            try SearchJobs.decode(bytes, pipeline: pipeline, limit: configuration.maxCombinations)
        }
    }
}
