import ArgumentParser
import BacktestAPI
import BacktestEngine

/// The strategy and broker flags shared by `run` and `batch` (ArgumentParser's declaration of
/// ``EngineSettings``).
struct EngineOptions: ParsableArguments {
    @Option(help: "Strategy name (see `backtest strategies`).")
    var strategy: String?

    @Option(help: ArgumentHelp("A strategy in the rules language (docs/rules.md), instead of --strategy.", valueName: "file"))
    var rules: String?

    @Option(name: .customLong("rules-text"), help: ArgumentHelp("The rules program itself, instead of a file.", valueName: "text"))
    var rulesText: String?

    @Option(name: .customLong("param"), help: ArgumentHelp("Strategy parameter, repeatable.", valueName: "key=value"))
    var params: [String] = []

    @Option(help: "Starting cash (default \(Int(BacktestSettings.defaultCash))).")
    var cash: String?

    @Option(help: ArgumentHelp("Commission: a relative rate R, or FIXED,R.", valueName: "R|FIXED,R"))
    var commission: String?

    @Option(help: "Bid-ask spread as a fraction (default 0).")
    var spread: String?

    @Option(help: "Margin requirement in (0, 1]; leverage = 1/margin (default 1).")
    var margin: String?

    @Flag(help: "Fill market orders at the signal bar's close.")
    var tradeOnClose = false

    @Flag(help: "Let long and short trades coexist.")
    var hedging = false

    @Flag(help: "Each new order cancels pending orders and closes open trades.")
    var exclusiveOrders = false

    @Flag(help: "Close trades still open at the end so they count in the statistics.")
    var finalizeTrades = false

    @Option(help: "Stop-loss distance as a fraction of the entry signal's close.")
    var slPct: String?

    @Option(help: "Take-profit distance as a fraction of the entry signal's close.")
    var tpPct: String?

    /// The values given, as a plain value (``EngineSettings``) that builds the request.
    var settings: EngineSettings {
        EngineSettings(
            strategy: strategy,
            rules: rules,
            rulesText: rulesText,
            params: params,
            cash: cash,
            commission: commission,
            spread: spread,
            margin: margin,
            tradeOnClose: tradeOnClose,
            hedging: hedging,
            exclusiveOrders: exclusiveOrders,
            finalizeTrades: finalizeTrades,
            slPct: slPct,
            tpPct: tpPct
        )
    }

    /// `true` when any engine flag was given.
    var isEmpty: Bool { settings.isEmpty }

    /// ``EngineSettings/request(defaultStrategy:)`` of these flags.
    func request(defaultStrategy: String? = nil) throws(CLIError) -> BacktestRequest {
        try settings.request(defaultStrategy: defaultStrategy)
    }
}
