import BacktestAPI
import BacktestEngine
import MarketData

/// The bars of a portfolio for a command that computes in-process: each ticker from a
/// `--csv TICKER=FILE`, else the local store (imported data, then the bundled set), cut to
/// the request's window.
enum PortfolioBars {
    static func load(_ request: PortfolioRequest, csv: [String: String], database: String?) throws -> [Bars] {
        let range = try request.dateRange()
        let window = BacktestRequest(start: request.start, end: request.end, strategy: "buy_and_hold")
        return try request.tickers.map { ticker in
            if let path = csv[ticker] { return try CSVBarsParser.load(path: path).slice(from: range.start, through: range.end) }
            return try LocalBars.load(csv: nil, ticker: ticker, request: window, database: database)
        }
    }
}
