import BacktestEngine
import BacktestJSON

extension Statistics: JSONWritable {
    /// Writes the statistics object (the keys and order of its `Encodable` form).
    public func write(to writer: inout JSONWriter) {
        writer.object { w in
            w.key("start")
            w.string(Timestamp.format(start))
            w.key("end")
            w.string(Timestamp.format(end))
            for (key, path) in Self.wireFields {
                if key == .winRatePct {
                    w.key(CodingKeys.trades.rawValue)
                    w.integer(trades)
                }
                w.key(key.rawValue)
                w.number(self[keyPath: path])
            }
        }
    }
}

extension TradeRecord: JSONWritable {
    /// Writes one trade (the keys and order of its `Encodable` form).
    public func write(to writer: inout JSONWriter) {
        writer.object { w in
            w.key("size")
            w.integer(size)
            w.key("entry_bar")
            w.integer(entryBar)
            w.key("exit_bar")
            w.integer(exitBar)
            w.key("entry_time")
            w.string(Timestamp.format(entryTime))
            w.key("exit_time")
            w.string(Timestamp.format(exitTime))
            w.key("entry_price")
            w.number(entryPrice)
            w.key("exit_price")
            w.number(exitPrice)
            w.key("sl")
            w.number(sl ?? .nan)
            w.key("tp")
            w.number(tp ?? .nan)
            w.key("pnl")
            w.number(pnl)
            w.key("return_pct")
            w.number(returnPct)
            w.key("commission")
            w.number(commission)
            w.key("duration_days")
            w.number(Double(exitTime - entryTime) / 86_400)
        }
    }
}

extension ParameterValue: JSONWritable {
    /// Writes the value as `ParameterValue`'s `Encodable` form does (whole numbers as integers).
    public func write(to writer: inout JSONWriter) {
        switch self {
        case .bool(let b): writer.bool(b)
        case .number(let v): writer.number(v)
        }
    }
}

extension BacktestReply: JSONWritable {
    /// Writes the reply of `POST /v1/backtests`.
    public func write(to writer: inout JSONWriter) {
        writer.object { w in
            w.key("ticker")
            w.string(ticker)
            w.key("start")
            w.string(start)
            w.key("end")
            w.string(end)
            w.key("strategy")
            w.string(strategy)
            w.key("params")
            w.object { w in
                for (name, value) in params.sorted(by: { $0.key < $1.key }) {
                    w.key(name)
                    value.write(to: &w)
                }
            }
            w.key("stats")
            stats.write(to: &w)
            if let trades {
                w.key("trades")
                w.array { w in for trade in trades { trade.write(to: &w) } }
            }
            if let equity {
                w.key("equity")
                w.array { w in for value in equity { w.number(value) } }
            }
            w.key("cached")
            w.bool(cached)
            w.key("elapsed_ms")
            w.number(elapsedMs)
            if let coverage {
                w.key("coverage")
                coverage.write(to: &w)
            }
        }
    }
}

extension Coverage: JSONWritable {
    /// Writes the coverage as its `Encodable` form does (`short` included).
    public func write(to writer: inout JSONWriter) {
        writer.object { w in
            if let requestedStart {
                w.key("requested_start")
                w.string(requestedStart)
            }
            if let requestedEnd {
                w.key("requested_end")
                w.string(requestedEnd)
            }
            w.key("first_bar")
            w.string(firstBar)
            w.key("last_bar")
            w.string(lastBar)
            if let bars {
                w.key("bars")
                w.integer(bars)
            }
            w.key("short")
            w.bool(isShort)
        }
    }
}

extension Problem: JSONWritable {
    /// Writes the problem document.
    public func write(to writer: inout JSONWriter) {
        writer.object { w in
            w.key("type")
            w.string(type)
            w.key("title")
            w.string(title)
            if let status {
                w.key("status")
                w.integer(status)
            }
            w.key("detail")
            w.string(detail)
            if let field {
                w.key("field")
                w.string(field)
            }
            if let requestId {
                w.key("request_id")
                w.string(requestId)
            }
        }
    }
}

extension BatchItem: JSONWritable {
    /// Writes one item of a batch reply.
    public func write(to writer: inout JSONWriter) {
        writer.object { w in
            w.key("index")
            w.integer(index)
            if let ticker {
                w.key("ticker")
                w.string(ticker)
            }
            if let result {
                w.key("result")
                result.write(to: &w)
            }
            if let error {
                w.key("error")
                error.write(to: &w)
            }
        }
    }
}

extension BatchReply: JSONWritable {
    /// Writes the reply of `POST /v1/backtests/batch`.
    public func write(to writer: inout JSONWriter) {
        writer.object { w in
            w.key("results")
            w.array { w in for item in results { item.write(to: &w) } }
        }
    }
}

extension JobProgress: JSONWritable {
    /// Writes `{"done", "total"}`.
    public func write(to writer: inout JSONWriter) {
        writer.object { w in
            w.key("done")
            w.integer(done)
            w.key("total")
            w.integer(total)
        }
    }
}

extension JobItemEvent: JSONWritable {
    /// Writes one `item` event of a job's event stream.
    public func write(to writer: inout JSONWriter) {
        writer.object { w in
            w.key("progress")
            progress.write(to: &w)
            w.key("item")
            item.write(to: &w)
        }
    }
}

extension JobStatus: JSONWritable {
    /// Writes a job's status (with its results once it has ended).
    public func write(to writer: inout JSONWriter) {
        write(to: &writer, results: results.map { items in { w in for item in items { item.write(to: &w) } } })
    }

    /// Writes a job's status with `results` writing the elements of its `results` array
    /// (no such member when nil), for a writer that has its results in another form (such
    /// as already encoded).
    public func write(to writer: inout JSONWriter, results: ((inout JSONWriter) -> Void)?) {
        writer.object { w in
            w.key("id")
            w.string(id)
            w.key("status")
            w.string(status.rawValue)
            w.key("progress")
            progress.write(to: &w)
            if let results {
                w.key("results")
                w.array(results)
            }
        }
    }
}
