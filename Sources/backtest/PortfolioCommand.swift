import ArgumentParser
import BacktestAPI
import BacktestClient
import BacktestEngine
import BacktestJSON
import BacktestReport
import Foundation
import MarketData

/// `backtest portfolio`: one cash account over several tickers, rebalanced to target weights.
struct PortfolioCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "portfolio",
        abstract: "Run a portfolio backtest: one account, many tickers, target weights.",
        discussion: """
            Decisions at a bar's close, fills at the next open (or that close with --trade-on-close), sells
            before buys, whole units unless --fractional. docs/portfolios.md has the model.

            Examples:
              backtest portfolio --tickers AAPL,MSFT,GOOG --allocation equal --rebalance monthly
              backtest portfolio --tickers AAPL,MSFT --allocation fixed --weights AAPL=0.6,MSFT=0.4 --rebalance quarterly
              backtest portfolio --tickers AAPL,AMZN,GOOG,META,NFLX,NVDA --allocation momentum --lookback 60 --top 3 --rebalance weekly
              backtest portfolio --tickers AAPL,MSFT --allocation weights --weights-csv targets.csv
              backtest portfolio --request case.json --format json --include orders,equity
              backtest portfolio --tickers AAPL,MSFT,GOOG --allocation equal --rebalance monthly --html portfolio.html

            --html writes the report page (equity, drawdown, weights, contributions, orders, statistics):
            from this process's run when it runs locally, else made by the server from the same request
            (POST /v1/reports), so the page shows the server's data.
            """
    )

    @Option(help: ArgumentHelp("The tickers, comma-separated, in portfolio order (ties go by it).", valueName: "list"))
    var tickers: String?

    @Option(help: ArgumentHelp("A request file: the `case` object of a portfolio reference file (runs locally).", valueName: "file"))
    var request: String?

    @Option(help: ArgumentHelp("First date (YYYY-MM-DD).", valueName: "date"))
    var start: String?

    @Option(help: ArgumentHelp("Last date (YYYY-MM-DD, inclusive).", valueName: "date"))
    var end: String?

    @Option(help: ArgumentHelp("equal, fixed, momentum, inverse_volatility or weights.", valueName: "type"))
    var allocation: String?

    @Option(help: ArgumentHelp("Fixed weights, e.g. AAPL=0.6,MSFT=0.4 (the rest is cash).", valueName: "list"))
    var weights: String?

    @Option(help: ArgumentHelp("A weights schedule: a header `date,T1,T2,…`, then one row per date.", valueName: "file"))
    var weightsCsv: String?

    @Option(help: ArgumentHelp("Bars of history for momentum or inverse_volatility.", valueName: "n"))
    var lookback: Int?

    @Option(help: ArgumentHelp("How many tickers momentum holds.", valueName: "k"))
    var top: Int?

    @Option(help: ArgumentHelp("monthly, weekly, quarterly, every:N (bars) or never.", valueName: "schedule"))
    var rebalance: String?

    @Option(help: ArgumentHelp("Starting cash (default 100000).", valueName: "amount"))
    var cash: Double?

    @Option(help: ArgumentHelp("Commission rate in [0, 0.1) (default 0).", valueName: "rate"))
    var commission: Double?

    @Flag(help: "Any positive size instead of whole units.")
    var fractional = false

    @Flag(help: "Fill at the decision bar's close instead of the next open.")
    var tradeOnClose = false

    @Option(
        name: .customLong("csv"),
        help: ArgumentHelp("A ticker's bars from a CSV file, as TICKER=FILE (repeatable; runs locally).", valueName: "ticker=file")
    )
    var csvFiles: [String] = []

    @Flag(help: "Run in this process instead of on a server.")
    var local = false

    @Option(help: "Output format: table, json or csv.")
    var format: PortfolioFormat = .table

    @Option(help: ArgumentHelp("Extra outputs for json: equity, orders, weights (comma-separated).", valueName: "list"))
    var include: String?

    @Option(help: ArgumentHelp("Also write the report page (HTML) to this file.", valueName: "file"))
    var html: String?

    @OptionGroup var remote: RemoteOptions

    @OptionGroup var database: DatabaseOptions

    func run() async throws {
        var body = try makeRequest()
        if let include { body.include = include.split(separator: ",").map { String($0).trimmingCharacters(in: .whitespaces) } }
        do {
            try body.validate()
        } catch {
            throw CLIError(error)
        }
        let json: [UInt8]
        let page: String?
        if local || request != nil || !csvFiles.isEmpty {
            (json, page) = try runLocally(body)
        } else {
            (json, page) = try await runRemotely(body)
        }
        if let html, let page { try Self.write(page, to: html) }
        try print(json, body)
    }

    /// The request from `--request` or from the flags.
    func makeRequest() throws -> PortfolioRequest {
        if let request {
            guard tickers == nil, allocation == nil, rebalance == nil else {
                throw CLIError(message: "--request gives the whole portfolio; drop --tickers, --allocation and --rebalance")
            }
            let data: Data
            do {
                data = try Data(contentsOf: URL(fileURLWithPath: request))
            } catch {
                throw CLIError(message: "--request: cannot read \(request)")
            }
            return try PortfolioFlags.decode(data, source: request)
        }
        return try PortfolioFlags(command: self).request()
    }

    private func runLocally(_ body: PortfolioRequest) throws -> ([UInt8], String?) {
        let bars: [Bars]
        let result: PortfolioResult
        let json: [UInt8]
        do {
            bars = try PortfolioBars.load(body, csv: try PortfolioFlags.csvFiles(csvFiles), database: database.path)
            let wanted = try body.includes()
            result = try PortfolioBacktest(tickers: body.tickers, bars: bars, settings: body.settings)
                .run(recordWeights: wanted.weights || html != nil)
            json = PortfolioReply(result: result, includeEquity: wanted.equity, includeOrders: wanted.orders, includeWeights: wanted.weights)
                .jsonBytes()
        } catch {
            throw CLIError(error)
        }
        guard html != nil else { return (json, nil) }
        do {
            return (json, try PortfolioPage.make(request: body, bars: bars, result: result).html())
        } catch {
            throw CLIError(message: error.message, exitCode: 1)
        }
    }

    private func runRemotely(_ body: PortfolioRequest) async throws -> ([UInt8], String?) {
        let wantsPage = html != nil
        do {
            return try await remote.withClient(embeddedFallback: true) { client in
                let json = try await client.portfolio(body)
                return (json, wantsPage ? try await client.portfolioReport(body) : nil)
            }
        } catch let failure as RemoteCommandFailure {
            // The server refused the portfolio itself (bad weights, unknown ticker, …): exit 2.
            if let status = failure.error.status, (400..<500).contains(status), status != 401, status != 429 {
                throw CLIError(message: failure.error.message)
            }
            throw failure
        }
    }

    /// Writes the report page, or says why not (exit 1).
    private static func write(_ page: String, to path: String) throws {
        do {
            try page.write(toFile: path, atomically: true, encoding: .utf8)
        } catch {
            throw CLIError(message: "cannot write \(path): \(error.localizedDescription)", exitCode: 1)
        }
        Terminal.stderr("wrote \(path)\n")
    }

    private func print(_ json: [UInt8], _ body: PortfolioRequest) throws {
        switch format {
        case .json:
            Terminal.stdout(String(decoding: json, as: UTF8.self) + "\n")
        case .table, .csv:
            let reply: JSONValue
            do {
                reply = try JSONReader.parse(json)
            } catch {
                throw CLIError(message: "the portfolio reply is not JSON: \(error)", exitCode: 1)
            }
            Terminal.stdout(format == .table ? PortfolioTable.render(reply, request: body) : PortfolioTable.csv(reply))
        }
    }
}

/// The output formats of `backtest portfolio`.
enum PortfolioFormat: String, ExpressibleByArgument, CaseIterable {
    case table, json, csv
}
