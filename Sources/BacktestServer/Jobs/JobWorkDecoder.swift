/// Rebuilds a stored job's work from its kind and its stored JSON: the one place that knows
/// every kind of job (a new kind adds its line here).
struct JobWorkDecoder: Sendable {
    /// What a batch's backtests and a search's units run on.
    let pipeline: BacktestPipeline
    /// The server's combination limit, which a stored search is prepared again under.
    let maxCombinations: Int
    /// Recent portfolio replies of this node's portfolio jobs (by content).
    var portfolioReplies = PortfolioReplyCache()

    /// The work of a stored job of `kind`.
    ///
    /// - Throws: when the stored work does not decode (a damaged row).
    func work(_ kind: JobKind, from bytes: [UInt8]) throws -> any JobWork {
        switch kind {
        case .backtests: try BatchJob.decode(bytes, pipeline: pipeline)
        case .optimization: try SearchJobs.decode(bytes, pipeline: pipeline, limit: maxCombinations)
        case .portfolios:
            try PortfolioJob.decode(bytes, service: PortfolioService(store: pipeline.store, pool: pipeline.pool, cache: portfolioReplies))
        }
    }
}
