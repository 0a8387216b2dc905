import BacktestAPI
import BacktestEngine
import MarketData

extension BacktestPipeline {
    /// The cache key of a validated request: SHA-256 of the data's content hash and the
    /// normalised request (the bars actually used, resolved parameters with defaults,
    /// broker settings, brackets, extra outputs). Two requests that must give the same
    /// result get the same key however they were spelled.
    static func cacheKey(_ p: Prepared) -> String {
        var text = "v1|"
        text += p.bars.contentHash
        text += "|\(p.bars.bars.timestamps.first ?? 0)-\(p.bars.bars.timestamps.last ?? 0)|\(p.bars.bars.count)"
        text += "|\(p.strategyName)"
        for name in p.params.keys.sorted() {
            text += "|\(name)="
            switch p.params[name] {
            case .bool(let b)?: text += b ? "true" : "false"
            case .number(let v)?: text += "\(v)"
            case nil: text += "-"
            }
        }
        let s = p.settings
        text += "|cash=\(s.cash)|cf=\(s.commission.fixed)|cr=\(s.commission.relative)|spread=\(s.spread)|margin=\(s.margin)"
        text += "|toc=\(s.tradeOnClose)|hedging=\(s.hedging)|exclusive=\(s.exclusiveOrders)|finalize=\(s.finalizeTrades)"
        text += "|sl=\(p.request.slPct.map { "\($0)" } ?? "-")|tp=\(p.request.tpPct.map { "\($0)" } ?? "-")"
        text += "|trades=\(p.trades)|equity=\(p.equity)"
        return ContentHash.hex(of: Array(text.utf8))
    }
}
