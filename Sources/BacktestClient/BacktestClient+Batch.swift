import BacktestAPI
import Logging

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
        _ requests: [BacktestRequest],
        maxConcurrency: Int? = nil,
        progress: ProgressHandler? = nil
    ) async -> [Result<BacktestReply, BacktestClientError>] {
        var results = [Result<BacktestReply, BacktestClientError>?](repeating: nil, count: requests.count)
        await forEachResult(requests, maxConcurrency: maxConcurrency, progress: progress) { result in
            if results.indices.contains(result.index), results[result.index] == nil { results[result.index] = result.result }
        }
        return results.map { $0 ?? .failure(BacktestClientError(code: .cancelled, message: "the batch was cancelled")) }
    }

    /// Runs many backtests like ``runBatch(_:maxConcurrency:progress:)`` and yields each
    /// result as soon as its call finishes (not in request order). Ending the iteration
    /// early cancels the remaining work.
    public func results(
        for requests: [BacktestRequest],
        maxConcurrency: Int? = nil,
        progress: ProgressHandler? = nil
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
        _ requests: [BacktestRequest],
        maxConcurrency: Int?,
        progress: ProgressHandler?,
        onResult: (BatchResult) async -> Void
    ) async {
        let clock = ContinuousClock()
        let start = clock.now
        var done = 0
        var failed = 0
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

    /// Runs the requests in `range` as one batch call (or singly), returning one result per
    /// index. Items the batch reply reports with a transient status (per the retry policy,
    /// e.g. 503 from a server that started draining) are sent again, with the policy's backoff.
    func runCall(_ range: Range<Int>, of requests: [BacktestRequest]) async -> [BatchResult] {
        let policy = configuration.retryPolicy
        var finished: [BatchResult] = []
        var pending = Array(range)
        var retry = 0
        while !pending.isEmpty {
            let attempt = await runIndices(pending, of: requests)
            var again: [Int] = []
            var outcome: RetryPolicy.Outcome = .transportFailure
            for entry in attempt {
                if entry.transientItemFailure, case .failure(let error) = entry.result.result, let status = error.status,
                    policy.delay(beforeRetry: retry, after: .status(status, retryAfter: nil)) != nil
                {
                    again.append(entry.result.index)
                    outcome = .status(status, retryAfter: nil)
                } else {
                    finished.append(entry.result)
                }
            }
            pending = again
            guard !pending.isEmpty, let delay = policy.delay(beforeRetry: retry, after: outcome, random: configuration.random) else { break }
            retry += 1
            logger.debug("retry \(retry) of \(pending.count) batch items in \(delay) s")
            do {
                try await configuration.sleep(delay)
            } catch {
                break
            }
        }
        return finished
    }

    /// One result of ``runIndices(_:of:)``, and whether it is an item-level transient failure.
    struct IndexedOutcome: Sendable {
        var result: BatchResult
        var transientItemFailure = false
    }

    /// Sends `indices` as one batch call (split on 413, singly without the batch route).
    func runIndices(_ indices: [Int], of requests: [BacktestRequest]) async -> [IndexedOutcome] {
        if indices.count > 1, await !pool.batchRouteMissing {
            do {
                let reply = try await runBatchCall(indices.map { requests[$0] })
                let policy = configuration.retryPolicy
                return Self.assemble(reply, indices: indices, requests: requests).map { result in
                    var transient = false
                    if case .failure(let error) = result.result, let status = error.status {
                        transient = policy.isRetryable(.status(status, retryAfter: nil))
                    }
                    return IndexedOutcome(result: result, transientItemFailure: transient)
                }
            } catch  where error.status == 413 {
                logger.debug("batch of \(indices.count) too large; splitting")
                let half = indices.count / 2
                return await runIndices(Array(indices[..<half]), of: requests) + runIndices(Array(indices[half...]), of: requests)
            } catch
                where (error.status == 404 || error.status == 405)
                && (error.problem == nil || error.code == .notFound)
            {
                logger.debug("no /v1/backtests/batch route (\(error.message)); sending requests one by one")
                await pool.setBatchRouteMissing()
            } catch {
                return indices.map { IndexedOutcome(result: BatchResult(index: $0, request: requests[$0], result: .failure(error))) }
            }
        }
        var results: [IndexedOutcome] = []
        for i in indices {
            if Task.isCancelled { break }
            let result: Result<BacktestReply, BacktestClientError>
            do {
                result = .success(try await run(requests[i]))
            } catch {
                result = .failure(error)
            }
            results.append(IndexedOutcome(result: BatchResult(index: i, request: requests[i], result: result)))
        }
        return results
    }

    /// Maps a batch reply's items back to batch indices; every index of `indices` gets exactly
    /// one result (an item the reply lacks becomes an error, duplicates are ignored).
    static func assemble(_ reply: BatchReply, indices: [Int], requests: [BacktestRequest]) -> [BatchResult] {
        var byIndex: [Int: BatchItem] = [:]
        for item in reply.results where byIndex[item.index] == nil { byIndex[item.index] = item }
        return indices.enumerated().map { offset, i in
            let request = requests[i]
            guard let item = byIndex[offset] else {
                return BatchResult(
                    index: i,
                    request: request,
                    result: .failure(
                        BacktestClientError(
                            code: .missingItem,
                            message: "the batch reply has no item \(offset)"
                        )
                    )
                )
            }
            if let result = item.result { return BatchResult(index: i, request: request, result: .success(result)) }
            return BatchResult(index: i, request: request, result: .failure(BacktestClientError(item: item.error)))
        }
    }
}
