import BacktestAPI

extension BacktestClient {
    /// Reports a batch's progress; called after every finished call, from one task at a time.
    public typealias ProgressHandler = @Sendable (BatchProgress) -> Void

    /// Runs many backtests and returns one result per request, in request order. A failing
    /// request never fails the batch: its slot holds the error.
    ///
    /// At most `maxConcurrency` calls are in flight (default: the `workers` the servers
    /// report in `/health`). With more requests than that, requests are packed into
    /// `POST /v1/backtests/batch` calls (see ``BatchPlan``); against a server without that
    /// route, each request is sent alone. Calls are spread over the endpoints by least
    /// outstanding requests and fail over when an endpoint goes down; each request's result
    /// is recorded exactly once.
    public func runBatch(
        _ requests: [BacktestRequest], maxConcurrency: Int? = nil, progress: ProgressHandler? = nil
    ) async -> [Result<BacktestReply, BacktestClientError>] {
        var results = [Result<BacktestReply, BacktestClientError>?](repeating: nil, count: requests.count)
        await forEachResult(requests, maxConcurrency: maxConcurrency, progress: progress) { result in
            if results.indices.contains(result.index), results[result.index] == nil { results[result.index] = result.result }
        }
        return results.map { $0 ?? .failure(BacktestClientError(code: "cancelled", message: "the batch was cancelled")) }
    }

    /// Runs many backtests like ``runBatch(_:maxConcurrency:progress:)`` and yields each
    /// result as soon as its call finishes (not in request order). Ending the iteration
    /// early cancels the remaining work.
    public func results(
        for requests: [BacktestRequest], maxConcurrency: Int? = nil, progress: ProgressHandler? = nil
    ) -> AsyncStream<BatchResult> {
        let (stream, continuation) = AsyncStream.makeStream(of: BatchResult.self, bufferingPolicy: .unbounded)
        let task = Task {
            await self.forEachResult(requests, maxConcurrency: maxConcurrency, progress: progress) { continuation.yield($0) }
            continuation.finish()
        }
        continuation.onTermination = { _ in task.cancel() }
        return stream
    }

    /// The outcome of one call of a batch (a struct, never a tuple: see the TaskGroup note in
    /// the project's notes on Swift 6.3 release builds).
    struct CallOutcome: Sendable {
        var results: [BatchResult]
    }

    /// Runs the batch and hands every result to `onResult` exactly once, as calls finish.
    func forEachResult(
        _ requests: [BacktestRequest], maxConcurrency: Int?, progress: ProgressHandler?,
        onResult: (BatchResult) async -> Void
    ) async {
        let clock = ContinuousClock()
        let start = clock.now
        var done = 0, failed = 0
        guard !requests.isEmpty else {
            progress?(BatchProgress(done: 0, total: 0, failed: 0, elapsed: 0))
            return
        }
        // Resolution failures fail every item, with the reason.
        do {
            _ = try await resolve()
        } catch {
            for (i, r) in requests.enumerated() { await onResult(BatchResult(index: i, request: r, result: .failure(error))) }
            progress?(BatchProgress(done: requests.count, total: requests.count, failed: requests.count, elapsed: (clock.now - start).seconds))
            return
        }
        var concurrency: Int
        if let maxConcurrency {
            concurrency = max(1, maxConcurrency)
        } else {
            concurrency = await serverConcurrency()
        }
        let plan = BatchPlan(count: requests.count, concurrency: concurrency, maximumItemsPerCall: configuration.maximumItemsPerCall)
        let calls = plan.calls
        concurrency = min(concurrency, calls.count)
        logger.debug("batch of \(requests.count): \(calls.count) calls of up to \(plan.itemsPerCall), \(concurrency) at a time")
        progress?(BatchProgress(done: 0, total: requests.count, failed: 0, elapsed: 0))

        await withTaskGroup(of: CallOutcome.self) { group in
            var next = 0
            func addCall() {
                let range = calls[next]
                next += 1
                group.addTask { CallOutcome(results: await self.runCall(range, of: requests)) }
            }
            while next < concurrency { addCall() }
            for await outcome in group {
                for result in outcome.results {
                    done += 1
                    if case .failure = result.result { failed += 1 }
                    await onResult(result)
                }
                progress?(BatchProgress(done: done, total: requests.count, failed: failed, elapsed: (clock.now - start).seconds))
                if next < calls.count, !Task.isCancelled { addCall() }
            }
        }
    }

    /// Runs the requests in `range` as one batch call (or singly), returning one result per index.
    func runCall(_ range: Range<Int>, of requests: [BacktestRequest]) async -> [BatchResult] {
        let slice = Array(requests[range])
        if slice.count > 1, await !pool.batchRouteMissing {
            do {
                let reply = try await runBatchCall(slice)
                return Self.assemble(reply, range: range, requests: requests)
            } catch where error.status == 404 || error.status == 405 {
                if error.problem == nil || error.code == "not_found" || error.code == "route_not_found" {
                    logger.debug("no /v1/backtests/batch route (\(error.message)); sending requests one by one")
                    await pool.setBatchRouteMissing()
                } else {
                    return range.map { BatchResult(index: $0, request: requests[$0], result: .failure(error)) }
                }
            } catch {
                return range.map { BatchResult(index: $0, request: requests[$0], result: .failure(error)) }
            }
        }
        var results: [BatchResult] = []
        for i in range {
            if Task.isCancelled { break }
            let result: Result<BacktestReply, BacktestClientError>
            do {
                result = .success(try await run(requests[i]))
            } catch {
                result = .failure(error)
            }
            results.append(BatchResult(index: i, request: requests[i], result: result))
        }
        return results
    }

    /// Maps a batch reply's items back to batch indices; every index of `range` gets exactly
    /// one result (an item the reply lacks becomes an error, duplicates are ignored).
    static func assemble(_ reply: BatchReply, range: Range<Int>, requests: [BacktestRequest]) -> [BatchResult] {
        var byIndex: [Int: BatchItem] = [:]
        for item in reply.results where byIndex[item.index] == nil { byIndex[item.index] = item }
        return range.enumerated().map { offset, i in
            let request = requests[i]
            guard let item = byIndex[offset] else {
                return BatchResult(index: i, request: request, result: .failure(BacktestClientError(
                    code: "missing_item", message: "the batch reply has no item \(offset)")))
            }
            if let result = item.result { return BatchResult(index: i, request: request, result: .success(result)) }
            let problem = item.error
            return BatchResult(index: i, request: request, result: .failure(BacktestClientError(
                code: problem?.code ?? "item_failed", message: problem.map { "\($0.title): \($0.detail)" } ?? "the item failed without an error",
                status: problem?.status, problem: problem)))
        }
    }
}
