import ArgumentParser
import BacktestAPI
import BacktestEngine

/// The tickers, date range and engine flags of `batch` and `jobs submit` as a plain value
/// (``TickerBatchOptions`` declares them): one request per ticker, sharing everything else.
struct TickerBatchSettings: Equatable, Sendable {
    /// The tickers, as given.
    var tickers: [String] = []
    /// `--start`.
    var start: String?
    /// `--end`.
    var end: String?
    /// The engine flags.
    var engine = EngineSettings()

    /// One validated request per ticker (upper-cased), in the order given.
    func requests() throws -> [BacktestRequest] {
        var base = try engine.request(defaultStrategy: "sma_cross")
        base.start = start
        base.end = end
        do {
            _ = try base.validated()
        } catch {
            throw ValidationError(error.message)
        }
        return tickers.map { ticker in
            var r = base
            r.ticker = ticker.uppercased()
            return r
        }
    }
}
