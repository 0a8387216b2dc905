import BacktestAPI
import BacktestEngine
import Foundation
import Hummingbird
import MarketData
import NIOCore
import NIOFoundationCompat

/// Market data routes: uploads into the server's imported store and removals.
extension BacktestRoutes {
    /// Media types accepted for an upload (a missing `Content-Type` is accepted too).
    static let csvMediaTypes: Set<String> = ["text/csv", "application/csv", "text/plain", "application/octet-stream"]

    func addDataRoutes(to router: Router<BasicRequestContext>) {
        router.put("/v1/tickers/:ticker/bars") { request, context in try await self.uploadBars(request, context) }
        router.delete("/v1/tickers/:ticker") { _, context in try await self.removeTicker(context) }
    }

    /// `PUT /v1/tickers/{T}/bars`: a CSV body (the layouts the engine reads), validated like
    /// `backtest data import`, replaces the ticker's imported bars atomically.
    func uploadBars(_ request: Request, _ context: BasicRequestContext) async throws -> Response {
        try state.checkAcceptingWork()
        let importer = try self.requireImporter()
        let ticker = try tickerParameter(context)
        if let type = request.headers[.contentType] {
            let base = type.split(separator: ";").first.map { $0.trimmingCharacters(in: .whitespaces).lowercased() } ?? ""
            guard Self.csvMediaTypes.contains(base) else {
                throw Problem(
                    code: .unsupportedMediaType,
                    detail: "send the bars as text/csv (Date,Open,High,Low,Close[,Adj Close][,Volume]), not \(type)"
                )
            }
        }
        let adjust = try Self.adjustParameter(request)
        var request = request
        let body = try await request.collectBody(upTo: configuration.maxUploadBytes)
        let data = Data(buffer: body)
        // Parsing, validation, hashing and the SQLite transaction take seconds for a large
        // file: they run on a worker thread (and wait their turn, or get 429, like backtests),
        // not on the task that serves requests.
        let outcome: Result<BarImporter.Result, MarketDataError>
        do {
            outcome = try await pool.run(admission: .limited, measured: false) { () -> Result<BarImporter.Result, MarketDataError> in
                do throws(MarketDataError) {
                    return .success(
                        try importer.importCSV(
                            data,
                            ticker: ticker,
                            source: "upload" + (adjust ? " (adjusted)" : ""),
                            name: "upload",
                            options: .init(adjust: adjust)
                        )
                    )
                } catch {
                    return .failure(error)
                }
            }
        } catch let overloaded as WorkerPool.Overloaded {
            metrics.recordRejection()
            throw overloaded  // 429 with Retry-After
        }
        let result: BarImporter.Result
        do {
            result = try outcome.get()
        } catch {
            throw Problem(upload: error)
        }
        let entry = result.entry
        try await share(entry, from: importer)
        let reply = TickerImport(
            ticker: entry.ticker,
            bars: entry.count,
            first: Self.label(entry.first),
            last: Self.label(entry.last),
            source: entry.source,
            contentHash: entry.contentHash,
            replaced: result.replaced,
            warnings: result.quality.warnings.map(\.message)
        )
        return try JSONCoding.response(reply, status: result.replaced > 0 ? .ok : .created)
    }

    /// `DELETE /v1/tickers/{T}`: removes an imported ticker (bundled and `--data-dir`
    /// files are not touched).
    func removeTicker(_ context: BasicRequestContext) async throws -> Response {
        try state.checkAcceptingWork()
        let importer = try self.requireImporter()
        let ticker = try tickerParameter(context)
        let removed: CatalogEntry?
        do {
            removed = try importer.store.remove(ticker: ticker)
        } catch {
            throw Problem(error)
        }
        guard let removed else {
            throw Problem(
                code: .unknownTicker,
                detail: "'\(ticker.uppercased())' is not an imported ticker; only uploaded or imported tickers can be removed "
                    + "(bundled and --data-dir files stay)",
                field: "ticker"
            )
        }
        if let shared {
            do {
                try await shared.removeSharedBars(ticker: removed.ticker)
            } catch {
                throw Problem(code: .storeFailure, detail: "\(removed.ticker) was removed here but not from the shared store: \(error)")
            }
        }
        return try JSONCoding.response(TickerRemoval(ticker: removed.ticker, bars: removed.count))
    }

    // MARK: - Helpers

    /// Copies an imported ticker to the storage every node reads (a cluster), so each node's
    /// replica (``SharedBarsReplica``) picks it up.
    private func share(_ entry: CatalogEntry, from importer: BarImporter) async throws {
        guard let shared else { return }
        do {
            let bars = try importer.store.bars(for: entry.ticker, from: nil, through: nil).bars
            try await shared.putSharedBars(ticker: entry.ticker, source: entry.source, contentHash: entry.contentHash, bars: BarsCodec.encode(bars))
        } catch {
            throw Problem(code: .storeFailure, detail: "\(entry.ticker) was imported here but not shared with the other nodes: \(error)")
        }
    }

    private func requireImporter() throws -> BarImporter {
        guard let importer else {
            throw Problem(code: .noStore, detail: "this server has no imported store")
        }
        return importer
    }

    /// The `adjust` query parameter: `true` or `false` (default `false`); anything else,
    /// or two different values, is a 422 naming it.
    static func adjustParameter(_ request: Request) throws -> Bool {
        let values = request.uri.queryParameters.getAll("adjust").map { String($0).lowercased() }
        guard let first = values.first else { return false }
        guard values.allSatisfy({ $0 == first }), first == "true" || first == "false" else {
            throw Problem(
                code: .invalidField,
                detail: "adjust: expected true or false, got \(values.map { "'\($0.prefix(20))'" }.joined(separator: ", "))",
                field: "adjust"
            )
        }
        return first == "true"
    }

    private func tickerParameter(_ context: BasicRequestContext) throws -> String {
        // The router hands the segment over as sent: `^GSPC` arrives as `%5EGSPC`.
        let raw = context.parameters.get("ticker") ?? ""
        let ticker = raw.removingPercentEncoding ?? raw
        guard MarketDataError.isValidTicker(ticker) else {
            throw Problem(
                code: .invalidField,
                detail: "ticker: '\(ticker.prefix(40))' is not a ticker symbol (letters, digits, '.', '-', '_', '^', '='; at most 32)",
                field: "ticker"
            )
        }
        return ticker
    }

    /// A date, or a date-time for intraday bars.
    static func label(_ t: Int64) -> String {
        t % 86_400 == 0 ? Timestamp.formatDate(t) : Timestamp.format(t)
    }
}
