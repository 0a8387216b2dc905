import BacktestAPI
import Hummingbird
import NIOCore

extension BacktestRoutes {
    /// `POST /v1/portfolios`: one portfolio backtest, answered with its statistics, holdings
    /// and (with `include`) equity, orders and weights.
    func addPortfolioRoutes(to router: Router<BasicRequestContext>) {
        router.post("/v1/portfolios") { request, context in try await self.portfolio(request, context) }
    }

    func portfolio(_ request: Request, _ context: BasicRequestContext) async throws -> Response {
        try state.checkAcceptingWork()
        var request = request
        let body = try await request.collectBody(upTo: configuration.maxBodyBytes)
        let portfolio = try JSONCoding.decode(PortfolioRequest.self, from: body)
        do {
            let bytes = try await portfolios.run(portfolio)
            return Response(status: .ok, headers: [.contentType: "application/json"], body: .init(byteBuffer: ByteBuffer(bytes: bytes)))
        } catch let overloaded as WorkerPool.Overloaded {
            metrics.recordRejection()
            throw overloaded
        }
    }
}
