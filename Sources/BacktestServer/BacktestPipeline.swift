import BacktestAPI
import BacktestEngine
import BacktestRules
import Foundation
import MarketData

/// The one path every backtest takes on the server:
///
/// request → ``validate(_:)`` → bars from the ``BarStore`` → engine on a ``WorkerPool``
/// thread → statistics → ``ResultCache`` → ``BacktestReply``.
///
/// Errors leave as ``Problem`` (invalid fields, unknown tickers) or as
/// ``WorkerPool/Overloaded`` (full queue); anything else is a server fault.
final class BacktestPipeline: Sendable {
    /// A request that passed validation, with its bars.
    struct Prepared: Sendable {
        var ticker: String
        var strategyName: String
        var bars: StoredBars
        var settings: BacktestSettings
        var strategy: RequestStrategy
        var params: [String: ParameterValue]
        var trades: Bool
        var equity: Bool
        var request: BacktestRequest
    }

    let store: any BarStore
    let pool: WorkerPool
    let cache: ResultCache?
    let metrics: ServerMetrics

    init(store: any BarStore, pool: WorkerPool, cache: ResultCache?, metrics: ServerMetrics) {
        self.store = store
        self.pool = pool
        self.cache = cache
        self.metrics = metrics
    }

    /// Runs one backtest end to end.
    func run(_ request: BacktestRequest, admission: WorkerPool.Admission = .limited) async throws -> BacktestReply {
        let started = DispatchTime.now().uptimeNanoseconds
        let prepared = try validate(request)
        let key = cache.map { _ in Self.cacheKey(prepared) }
        if let cache, let key {
            if let report = await cache.lookup(key) {
                metrics.recordCache(hit: true)
                return reply(prepared, report, cached: true, started: started)
            }
            metrics.recordCache(hit: false)
        }
        let report = try await execute(prepared, admission: admission)
        if let cache, let key { cache.store(key, report) }
        return reply(prepared, report, cached: false, started: started)
    }

    /// Runs one item of a batch or job; failures become the item's error.
    func item(index: Int, _ request: Result<BacktestRequest, BacktestError>, requestID: String?) async -> BatchItem {
        switch request {
        case .failure(let error):
            return BatchItem(index: index, ticker: nil, error: Problem(error))
        case .success(let request):
            do {
                let reply = try await run(request, admission: .always)
                return BatchItem(index: index, ticker: reply.ticker, result: reply)
            } catch {
                return BatchItem(index: index, ticker: request.ticker?.uppercased(), error: Problem(error, requestID: requestID))
            }
        }
    }

    // MARK: - Steps

    /// Validation and bars: everything that needs no worker.
    func validate(_ request: BacktestRequest) throws -> Prepared {
        if request.data != nil {
            throw Problem(
                BacktestError(
                    code: .invalidField,
                    message: "data: the server reads no files; send 'ticker' (GET /v1/tickers lists them)",
                    field: "data"
                )
            )
        }
        guard let ticker = request.ticker, !ticker.isEmpty else {
            throw Problem(BacktestError(code: .missingField, message: "missing required field 'ticker'", field: "ticker"))
        }
        let settings: BacktestSettings
        let strategy: RequestStrategy
        let params: [String: ParameterValue]
        let includes: (trades: Bool, equity: Bool)
        let range: (start: Int64?, end: Int64?)
        do {
            (settings, strategy) = try request.validated()
            params = try request.resolvedParameters()
            includes = try request.includes()
            range = try request.dateRange()
        } catch {
            throw Problem(error)
        }
        let bars: StoredBars
        do {
            bars = try store.bars(for: ticker, from: range.start, through: range.end)
        } catch {
            throw Problem(error)
        }
        guard bars.bars.count >= 2 else {
            let field = request.start != nil ? "start" : "end"
            let have =
                "\(bars.ticker) has \(bars.summary.count) bars from \(Timestamp.formatDate(bars.summary.first)) to \(Timestamp.formatDate(bars.summary.last))"
            let asked = "\(request.start ?? "the first bar") to \(request.end ?? "the last bar")"
            throw Problem(
                code: .emptyRange,
                detail: "\(field): \(bars.bars.count) bar\(bars.bars.count == 1 ? "" : "s") from \(asked), a backtest needs at least 2; \(have)",
                field: field
            )
        }
        if strategy.lookback >= bars.bars.count {
            throw Problem(
                code: .invalidField,
                detail: "rules: the program looks back \(strategy.lookback) bars; \(bars.ticker) has \(bars.bars.count) in the range asked",
                field: "rules"
            )
        }
        var strategyName = request.strategy
        // The canonical text itself (SHA-256 hashes the key): two spellings of one program share results.
        if case .rules(let rules) = strategy { strategyName = "rules:" + rules.program.canonicalSource }
        return Prepared(
            ticker: bars.ticker,
            strategyName: strategyName,
            bars: bars,
            settings: settings,
            strategy: strategy,
            params: params,
            trades: includes.trades,
            equity: includes.equity,
            request: request
        )
    }

    /// The engine, on a worker thread; returns the statistics (and trades/equity if asked).
    func execute(_ prepared: Prepared, admission: WorkerPool.Admission) async throws -> BacktestReport {
        let outcome = try await pool.run(admission: admission) { () -> Result<BacktestReport, BacktestError> in
            do throws(BacktestError) {
                let result = try Backtest(bars: prepared.bars.bars, settings: prepared.settings).run(prepared.strategy)
                return .success(BacktestReport(result, trades: prepared.trades, equity: prepared.equity))
            } catch {
                return .failure(error)
            }
        }
        switch outcome {
        case .success(let report): return report
        case .failure(let error): throw Problem(error)
        }
    }

    private func reply(_ p: Prepared, _ report: BacktestReport, cached: Bool, started: UInt64) -> BacktestReply {
        let bars = p.bars.bars
        let start = Timestamp.format(bars.timestamps.first ?? 0)
        let end = Timestamp.format(bars.timestamps.last ?? 0)
        return BacktestReply(
            ticker: p.ticker,
            start: start,
            end: end,
            strategy: p.request.strategy,
            params: p.params,
            stats: report.stats,
            trades: report.trades,
            equity: report.equity,
            cached: cached,
            elapsedMs: Double(DispatchTime.now().uptimeNanoseconds &- started) / 1e6,
            coverage: Coverage(requestedStart: p.request.start, requestedEnd: p.request.end, firstBar: start, lastBar: end, bars: bars.count)
        )
    }
}
