import BacktestAPI
import Foundation

extension BacktestClient {
    /// Starts a parameter search on the server (`POST /v1/optimizations`). Like jobs, a search
    /// lives on the server that accepted it: with several endpoints, the first one.
    public func createOptimization(_ request: OptimizationRequest) async throws(BacktestClientError) -> JobCreated {
        let reply = try await send(.post, "/v1/optimizations", body: Self.encode(request), pinned: firstEndpoint())
        return try Self.decode(JobCreated.self, from: reply)
    }

    /// A search's state and progress, and its result once done (`GET /v1/optimizations/{id}`).
    public func optimization(_ id: String) async throws(BacktestClientError) -> OptimizationStatus {
        try Self.decode(OptimizationStatus.self, from: await send(.get, "/v1/optimizations/\(try Self.pathSegment(id))", pinned: firstEndpoint()))
    }

    /// Cancels a search and keeps its record (`POST /v1/optimizations/{id}/cancel`).
    public func cancelOptimization(_ id: String) async throws(BacktestClientError) -> OptimizationStatus {
        let path = "/v1/optimizations/\(try Self.pathSegment(id))/cancel"
        return try Self.decode(OptimizationStatus.self, from: await send(.post, path, pinned: firstEndpoint()))
    }

    /// Deletes a search with its results (`DELETE /v1/optimizations/{id}`), cancelling it
    /// first if it still runs; a later ``optimization(_:)`` is `404 unknown_job`.
    public func deleteOptimization(_ id: String) async throws(BacktestClientError) {
        _ = try await send(.delete, "/v1/optimizations/\(try Self.pathSegment(id))", pinned: firstEndpoint())
    }

    /// A finished search's heatmap as CSV (`GET /v1/optimizations/{id}/heatmap`).
    public func optimizationHeatmap(_ id: String) async throws(BacktestClientError) -> String {
        let reply = try await send(.get, "/v1/optimizations/\(try Self.pathSegment(id))/heatmap", pinned: firstEndpoint())
        return String(decoding: reply.bytes, as: UTF8.self)
    }

    /// Runs a search on the server and waits for it: `progress` gets the combinations (folds)
    /// done and in all as the server reports them (over `GET /v1/optimizations/{id}/events`;
    /// when the stream breaks, the status is polled). Returns the final status: `done` with
    /// the result, or `failed`/`cancelled`.
    public func optimize(
        _ request: OptimizationRequest,
        progress: @Sendable (JobProgress) -> Void = { _ in }
    ) async throws(BacktestClientError) -> (id: String, status: OptimizationStatus) {
        let created = try await createOptimization(request)
        do {
            for try await event in events({ () throws(BacktestClientError) in "/v1/optimizations/\(try Self.pathSegment(created.id))/events" }) {
                guard let data = event.data.data(using: .utf8) else { continue }
                if event.event == "progress", let p = try? JSONDecoder().decode(JobProgress.self, from: data) { progress(p) }
                if event.event == "done" { break }
            }
        } catch {
            // The stream broke: poll below.
        }
        while true {
            let status = try await optimization(created.id)
            if status.status.hasEnded { return (created.id, status) }
            progress(status.progress)
            do {
                try await Task.sleep(for: .milliseconds(500))
            } catch {
                throw BacktestClientError(code: .cancelled, message: "cancelled")
            }
        }
    }
}
