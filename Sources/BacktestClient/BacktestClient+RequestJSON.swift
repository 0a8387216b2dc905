import BacktestAPI
import BacktestEngine
import BacktestJSON

extension BacktestClient {
    /// The body of `POST /v1/backtests`, written with ``JSONWriter``: `JSONEncoder`'s first
    /// use costs several scans of the binary's protocol conformance records at start-up
    /// (BENCHMARKS.md, "Start-up"). `BacktestRequest.write(to:)` writes the members of its
    /// `encode(to:)`, in its order; a request with a number `JSONEncoder` refuses (NaN or an
    /// infinity outside `params`) goes through it, for its error.
    static func requestBody(_ request: BacktestRequest) throws(BacktestClientError) -> RequestBody {
        guard isWritable(request) else { return try encode(request) }
        var writer = JSONWriter(capacity: 512)
        request.write(to: &writer)
        return .json(writer.bytes)
    }

    /// The body of `POST /v1/backtests/batch` and `POST /v1/jobs`, `{"requests":[...]}`, like
    /// ``requestBody(_:)-(BacktestRequest)``.
    static func requestBody(_ batch: BatchRequest) throws(BacktestClientError) -> RequestBody {
        guard batch.requests.allSatisfy(isWritable) else { return try encode(batch) }
        var writer = JSONWriter(capacity: 256 * batch.requests.count + 16)
        writer.object { w in
            w.key("requests")
            w.array { w in
                for request in batch.requests { request.write(to: &w) }
            }
        }
        return .json(writer.bytes)
    }

    /// Whether `JSONEncoder` would encode every number of `request` (it refuses NaN and
    /// infinities; `params` follow the wire rules and always encode).
    static func isWritable(_ request: BacktestRequest) -> Bool {
        let numbers = [request.cash, request.commission.fixed, request.commission.relative, request.spread, request.margin]
        return numbers.allSatisfy(\.isFinite) && (request.slPct?.isFinite ?? true) && (request.tpPct?.isFinite ?? true)
    }
}
