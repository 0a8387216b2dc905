import BacktestEngine
import BacktestJSON

extension BacktestRequest {
    /// Writes the request as ``encode(to:)`` encodes it: the same members, keys and order.
    /// For a request whose numbers `JSONEncoder` accepts (finite, outside `params`); the client
    /// writes its request bodies this way, without `JSONEncoder`'s start-up cost.
    public func write(to writer: inout JSONWriter) {
        writer.object { w in
            for (key, value) in [(CodingKeys.data, data), (.ticker, ticker), (.start, start), (.end, end)] {
                if let value {
                    w.key(key.rawValue)
                    w.string(value)
                }
            }
            w.key(CodingKeys.strategy.rawValue)
            w.string(strategy)
            w.key(CodingKeys.params.rawValue)
            w.object { w in
                for (name, value) in params {
                    w.key(name)
                    value.write(to: &w)
                }
            }
            w.key(CodingKeys.cash.rawValue)
            w.number(cash)
            w.key(CodingKeys.commission.rawValue)
            if commission.fixed != 0 {
                w.array { w in
                    w.number(commission.fixed)
                    w.number(commission.relative)
                }
            } else {
                w.number(commission.relative)
            }
            for (key, value) in [(CodingKeys.spread, spread), (.margin, margin)] {
                w.key(key.rawValue)
                w.number(value)
            }
            let flags = [
                (CodingKeys.tradeOnClose, tradeOnClose), (.hedging, hedging), (.exclusiveOrders, exclusiveOrders),
                (.finalizeTrades, finalizeTrades),
            ]
            for (key, value) in flags {
                w.key(key.rawValue)
                w.bool(value)
            }
            for (key, value) in [(CodingKeys.slPct, slPct), (.tpPct, tpPct)] {
                if let value {
                    w.key(key.rawValue)
                    w.number(value)
                }
            }
            if let include {
                w.key(CodingKeys.include.rawValue)
                w.array { w in
                    for item in include { w.string(item) }
                }
            }
            if let rules {
                w.key(CodingKeys.rules.rawValue)
                w.string(rules)
            }
        }
    }
}
