import BacktestAPI
import BacktestEngine
import BacktestJSON

extension BacktestClient {
    /// The body of `POST /v1/backtests`, written with ``JSONWriter``: `JSONEncoder`'s first
    /// use costs several scans of the binary's protocol conformance records at start-up
    /// (BENCHMARKS.md, "Start-up"). The members are `BacktestRequest.encode(to:)`'s, in its
    /// order; a request with a number `JSONEncoder` refuses (NaN or an infinity outside
    /// `params`) goes through it, for its error.
    static func requestBody(_ request: BacktestRequest) throws(BacktestClientError) -> RequestBody {
        guard isWritable(request) else { return try encode(request) }
        var writer = JSONWriter(capacity: 512)
        write(request, to: &writer)
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
                for request in batch.requests { write(request, to: &w) }
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

    /// `request` as `BacktestRequest.encode(to:)` encodes it.
    static func write(_ request: BacktestRequest, to writer: inout JSONWriter) {
        writer.object { w in
            for (key, value) in [("data", request.data), ("ticker", request.ticker), ("start", request.start), ("end", request.end)] {
                if let value {
                    w.key(key)
                    w.string(value)
                }
            }
            w.key("strategy")
            w.string(request.strategy)
            w.key("params")
            w.object { w in
                for (name, value) in request.params {
                    w.key(name)
                    value.write(to: &w)
                }
            }
            w.key("cash")
            w.number(request.cash)
            w.key("commission")
            if request.commission.fixed != 0 {
                w.array { w in
                    w.number(request.commission.fixed)
                    w.number(request.commission.relative)
                }
            } else {
                w.number(request.commission.relative)
            }
            for (key, value) in [("spread", request.spread), ("margin", request.margin)] {
                w.key(key)
                w.number(value)
            }
            let flags = [
                ("trade_on_close", request.tradeOnClose), ("hedging", request.hedging), ("exclusive_orders", request.exclusiveOrders),
                ("finalize_trades", request.finalizeTrades),
            ]
            for (key, value) in flags {
                w.key(key)
                w.bool(value)
            }
            for (key, value) in [("sl_pct", request.slPct), ("tp_pct", request.tpPct)] {
                if let value {
                    w.key(key)
                    w.number(value)
                }
            }
            if let include = request.include {
                w.key("include")
                w.array { w in
                    for item in include { w.string(item) }
                }
            }
            if let rules = request.rules {
                w.key("rules")
                w.string(rules)
            }
        }
    }
}
