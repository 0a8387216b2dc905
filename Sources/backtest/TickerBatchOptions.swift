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

    /// The values given, as a plain value (``TickerBatchSettings``).
    var settings: TickerBatchSettings {
        TickerBatchSettings(tickers: tickers, start: start, end: end, engine: engine.settings)
    }

    /// ``TickerBatchSettings/requests()`` of these arguments.
    func requests() throws -> [BacktestRequest] {
        try settings.requests()
    }
}
