import ArgumentParser
import BacktestAPI
import BacktestEngine

/// The tickers, date range and engine flags of `batch` and `jobs submit`: one request per
/// ticker, sharing everything else.
struct TickerBatchOptions: ParsableArguments {
    @Argument(help: "Tickers to backtest.")
    var tickers: [String] = []

    @Option(help: ArgumentHelp("First date (YYYY-MM-DD).", valueName: "date"))
    var start: String?

    @Option(help: ArgumentHelp("Last date (YYYY-MM-DD), inclusive.", valueName: "date"))
    var end: String?

    @OptionGroup var engine: EngineOptions

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
