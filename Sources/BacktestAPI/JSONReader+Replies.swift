import BacktestEngine
import BacktestJSON

extension [String: JSONValue] {
    /// A date-time field (`Timestamp.parse`), or an error naming `path.key`.
    func timestamp(_ key: String, _ path: String) throws(JSONReadError) -> Int64 {
        let text = try string(key, path)
        guard let t = Timestamp.parse(text) else { throw JSONReadError(message: "\(path).\(key): '\(text)' is not a date-time") }
        return t
    }
}

extension Statistics {
    /// Reads the statistics object of a reply (the `Decodable` form's rules).
    public init(json: JSONValue, path: String = "stats") throws(JSONReadError) {
        let m = try json.members(path)
        self.init()
        start = try m.timestamp("start", path)
        end = try m.timestamp("end", path)
        trades = try m.integer("trades", path)
        for (key, field) in Self.wireFields {
            self[keyPath: field] = try m.wireDouble(key.rawValue, path)
        }
    }
}

extension TradeRecord {
    /// Reads one trade of a reply.
    public init(json: JSONValue, path: String) throws(JSONReadError) {
        let m = try json.members(path)
        let sl = try m.wireDouble("sl", path)
        let tp = try m.wireDouble("tp", path)
        self.init(
            size: try m.integer("size", path),
            entryBar: try m.integer("entry_bar", path),
            exitBar: try m.integer("exit_bar", path),
            entryPrice: try m.wireDouble("entry_price", path),
            exitPrice: try m.wireDouble("exit_price", path),
            sl: sl.isNaN ? nil : sl,
            tp: tp.isNaN ? nil : tp,
            pnl: try m.wireDouble("pnl", path),
            returnPct: try m.wireDouble("return_pct", path),
            commission: try m.wireDouble("commission", path),
            entryTime: try m.timestamp("entry_time", path),
            exitTime: try m.timestamp("exit_time", path)
        )
    }
}

extension BacktestReply {
    /// Reads the reply of `POST /v1/backtests` (or one batch item's `result`).
    public init(json: JSONValue, path: String = "reply") throws(JSONReadError) {
        let m = try json.members(path)
        var params: [String: ParameterValue] = [:]
        guard let paramsValue = m["params"] else { throw JSONReadError(message: "\(path).params: missing") }
        for (name, value) in try paramsValue.members(path + ".params") {
            switch value {
            case .bool(let b): params[name] = .bool(b)
            case .number(let d): params[name] = .number(d)
            default: throw JSONReadError(message: "\(path).params.\(name): expected a number or a boolean")
            }
        }
        var trades: [TradeRecord]?
        if let list = m["trades"], list != .null {
            var parsed: [TradeRecord] = []
            for (k, trade) in try list.elements(path + ".trades").enumerated() {
                parsed.append(try TradeRecord(json: trade, path: "\(path).trades[\(k)]"))
            }
            trades = parsed
        }
        var equity: [Double]?
        if let list = m["equity"], list != .null {
            var values: [Double] = []
            for (k, value) in try list.elements(path + ".equity").enumerated() {
                switch value {
                case .number(let d): values.append(d)
                case .null: values.append(.nan)
                default: throw JSONReadError(message: "\(path).equity[\(k)]: expected a number")
                }
            }
            equity = values
        }
        guard let stats = m["stats"] else { throw JSONReadError(message: "\(path).stats: missing") }
        var coverage: Coverage?
        if let value = m["coverage"], value != .null {
            let c = try value.members(path + ".coverage")
            var bars: Int?
            if let count = c["bars"], count != .null { bars = try c.integer("bars", path + ".coverage") }
            coverage = Coverage(
                requestedStart: try c.optionalString("requested_start", path + ".coverage"),
                requestedEnd: try c.optionalString("requested_end", path + ".coverage"),
                firstBar: try c.string("first_bar", path + ".coverage"),
                lastBar: try c.string("last_bar", path + ".coverage"),
                bars: bars
            )
        }
        self.init(
            ticker: try m.string("ticker", path),
            start: try m.string("start", path),
            end: try m.string("end", path),
            strategy: try m.string("strategy", path),
            params: params,
            stats: try Statistics(json: stats, path: path + ".stats"),
            trades: trades,
            equity: equity,
            cached: try m.bool("cached", path),
            elapsedMs: try m.wireDouble("elapsed_ms", path),
            coverage: coverage
        )
    }
}

extension Problem {
    /// Reads a problem document.
    public init(json: JSONValue, path: String = "problem") throws(JSONReadError) {
        let m = try json.members(path)
        // `status` is absent only in a client-side failure (see `Problem.status`).
        let status = m["status"] == nil || m["status"] == .null ? nil : try m.integer("status", path)
        self.init(
            type: try m.string("type", path),
            title: try m.string("title", path),
            status: status,
            detail: try m.string("detail", path),
            field: try m.optionalString("field", path),
            requestId: try m.optionalString("request_id", path)
        )
    }
}

extension BatchReply {
    /// Reads the reply of `POST /v1/backtests/batch`.
    public init(json: JSONValue) throws(JSONReadError) {
        let m = try json.members("batch")
        var items: [BatchItem] = []
        for (k, element) in try (m["results"] ?? .null).elements("results").enumerated() {
            let path = "results[\(k)]"
            let item = try element.members(path)
            let result = try item["result"].flatMap { (value) throws(JSONReadError) -> BacktestReply? in
                value == .null ? nil : try BacktestReply(json: value, path: path + ".result")
            }
            let error = try item["error"].flatMap { (value) throws(JSONReadError) -> Problem? in
                value == .null ? nil : try Problem(json: value, path: path + ".error")
            }
            items.append(
                BatchItem(index: try item.integer("index", path), ticker: try item.optionalString("ticker", path), result: result, error: error)
            )
        }
        self.init(results: items)
    }
}
