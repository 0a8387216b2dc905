import BacktestAPI
import BacktestEngine
import BacktestJSON
import BacktestReport
import Hummingbird
import MarketData
import NIOCore

/// `POST /v1/reports` with a portfolio body (the body of `POST /v1/portfolios`): the
/// portfolio's report page.
extension BacktestRoutes {
    /// Whether a report body is a portfolio: a JSON object with both `tickers` and
    /// `allocation` (a backtest body has neither).
    static func isPortfolioBody(_ body: ByteBuffer) -> Bool {
        guard case .object(let fields)? = try? JSONReader.parse(Array(body.readableBytesView)) else { return false }
        return fields["tickers"] != nil && fields["allocation"] != nil
    }

    /// The report page of a portfolio request, run on this server's bars and workers.
    func portfolioReport(_ body: ByteBuffer) async throws -> Response {
        let portfolio = try JSONCoding.decode(PortfolioRequest.self, from: body)
        try portfolio.validate()
        let store = self.store
        let page = try await onWorker { try Self.portfolioPage(portfolio, store: store) }
        return try Self.htmlResponse(page)
    }

    /// The page: each ticker's bars from the store, the run with its weights recorded.
    static func portfolioPage(_ request: PortfolioRequest, store: any BarStore) throws -> String {
        let range = try request.dateRange()
        let bars = try request.tickers.map { ticker in try store.bars(for: ticker, from: range.start, through: range.end).bars }
        let result = try PortfolioBacktest(tickers: request.tickers, bars: bars, settings: request.settings).run(recordWeights: true)
        return try PortfolioPage.make(request: request, bars: bars, result: result).html()
    }
}
