import BacktestAPI
import BacktestEngine
import BacktestJSON
import BacktestRules

/// The component schemas: one per wire type. Statistics, trades and requests are built from
/// their coding keys through exhaustive switches, so a key added to the type does not
/// compile until the document describes it; the other replies are held to these schemas by
/// `ContractTests` and, in the test suites, by the server's contract check on every reply.
extension APIDocument {
    static var schemas: [String: JSONValue] {
        [
            "WireNumber": [
                "description":
                    "A number; NaN is null, infinities are the strings \"Infinity\" and \"-Infinity\". Whole numbers below 2^53 have no fraction.",
                // One type list with a pattern (which only strings must match) rather than an
                // anyOf with a null branch: swift-openapi-generator drops such a schema.
                "type": ["number", "null", "string"], "pattern": "^-?Infinity$",
            ],
            "ParameterValue": ["anyOf": [["type": "number"], ["type": "boolean"]]],
            "Problem": problem,
            "Statistics": statistics,
            "Trade": trade,
            "BacktestRequest": strategyUnion(
                "Backtest",
                description: "One backtest with a built-in strategy (BacktestStrategyRequest) or a rules program (BacktestRulesRequest)"
            ),
            "BacktestStrategyRequest": backtestRequest(.builtin),
            "BacktestRulesRequest": backtestRequest(.rules),
            "BatchRequest": batchRequest(named: "Batch", limit: BatchRequest.maxItems, answer: "in a 200 reply"),
            "BatchRequests": batchOfRequests(limit: BatchRequest.maxItems),
            "BatchTickers": batchOfTickers(.builtin, limit: BatchRequest.maxItems),
            "BatchRulesTickers": batchOfTickers(.rules, limit: BatchRequest.maxItems),
            "JobRequest": jobRequest,
            "JobRequests": batchOfRequests(limit: BatchRequest.maxJobItems),
            "JobTickers": batchOfTickers(.builtin, limit: BatchRequest.maxJobItems),
            "JobRulesTickers": batchOfTickers(.rules, limit: BatchRequest.maxJobItems),
            "OptimizationBacktest": strategyUnion(
                "Optimization",
                description: "The backtest each combination runs: a BacktestRequest whose ticker may be left to 'tickers'"
            ),
            "OptimizationStrategyBacktest": optimizationBacktest(.builtin),
            "OptimizationRulesBacktest": optimizationBacktest(.rules),
            "BacktestReply": backtestReply,
            "Coverage": coverage,
            "BatchItem": batchItem,
            "BatchReply": Schema.object(["results": Schema.array(of: Schema.ref("BatchItem"), description: "One item per request, in request order")]
            ),
            "Health": health,
            "Ready": Schema.object(["status": ["const": "ready"]]),
            "StrategyList": Schema.object(["strategies": Schema.array(of: Schema.ref("StrategyInfo"))]),
            "StrategyInfo": strategyInfo,
            "TickerList": Schema.object(["tickers": Schema.array(of: Schema.ref("TickerInfo"))]),
            "TickerInfo": Schema.object([
                "ticker": Schema.string(), "first": Schema.string("First bar's date-time"), "last": Schema.string("Last bar's date-time"),
                "bars": Schema.count(), "source": Schema.oneOf(["data-dir", "bundled", "database"]),
            ]),
            "TickerImport": Schema.object([
                "ticker": Schema.string("The upper-case symbol"), "bars": Schema.count("Bars stored"),
                "first": Schema.string(), "last": Schema.string(), "source": Schema.string("Where the bars came from (upload)"),
                "content_hash": Schema.string("SHA-256 of the stored bars, hex; changes whenever they do"),
                "replaced": Schema.count("Bars of the previous series replaced (0 for a new ticker)"),
                "warnings": Schema.array(of: Schema.string(), description: "Suspicious bars (gaps, large one-bar moves), imported anyway"),
            ]),
            "TickerRemoval": Schema.object(["ticker": Schema.string(), "bars": Schema.count("Bars removed")]),
            "JobCreated": Schema.object(["id": Schema.string(), "status_url": Schema.string(), "events_url": Schema.string()]),
            "JobProgress": Schema.object(["done": Schema.count(), "total": Schema.count()]),
            "JobStatus": Schema.object(
                [
                    "id": Schema.string(), "status": Schema.oneOf(JobState.allCases.map(\.rawValue)),
                    "progress": Schema.ref("JobProgress"),
                    "results": Schema.array(
                        of: jobItem,
                        description: "Once the job has ended (partial when cancelled), in request order (a portfolio job's are PortfolioItems)"
                    ),
                ],
                optional: ["results"]
            ),
            "JobItemEvent": Schema.object(["progress": Schema.ref("JobProgress"), "item": jobItem]),
            "ClusterStatus": Schema.object([
                "nodes": Schema.array(
                    of: Schema.object([
                        "id": Schema.string("The node's id (new at each start)"), "address": Schema.string("host:port it serves"),
                        "seen_s_ago": Schema.number(minimum: 0, description: "Seconds since its last heartbeat"),
                    ]),
                    description: "Nodes alive"
                ),
                "node": Schema.string("The id of the node that answered"),
                "queued": Schema.count("Job items waiting"), "claimed": Schema.count("Job items a node holds a lease on"),
            ]),
            "JobList": Schema.object(["jobs": Schema.array(of: Schema.ref("JobSummary"), description: "Newest first")]),
            "JobSummary": Schema.object([
                "id": Schema.string(), "kind": Schema.oneOf(["backtests", "optimization", "portfolios"]),
                "status": Schema.oneOf(JobState.allCases.map(\.rawValue)),
                "progress": Schema.ref("JobProgress"),
                "created_at": Schema.string("ISO 8601, UTC"), "status_url": Schema.string(), "events_url": Schema.string(),
                "report_url": Schema.string(),
            ]),
        ].merging(optimizationSchemas) { a, _ in a }.merging(portfolioSchemas) { a, _ in a }.merging(portfolioJobSchemas) { a, _ in a }
    }

    static var problem: JSONValue {
        Schema.object(
            [
                "type": Schema.string("https://backtest.dev/problems/CODE; CODE is stable (see ProblemCode)"),
                "title": Schema.string(), "status": Schema.integer(minimum: 400, maximum: 599), "detail": Schema.string(),
                "field": Schema.string("The request field at fault, e.g. params.fast"),
                "request_id": Schema.string("On server faults: quote it to find the log line"),
            ],
            optional: ["field", "request_id"],
            description: "RFC 9457 problem document"
        )
    }

    static var statistics: JSONValue {
        var members: [String: JSONValue] = [:]
        for key in Statistics.CodingKeys.allCases {
            switch key {
            case .start, .end: members[key.rawValue] = Schema.string("YYYY-MM-DDTHH:MM:SS")
            case .trades: members[key.rawValue] = Schema.count()
            case .durationDays, .exposureTimePct, .equityFinal, .equityPeak, .commissions, .returnPct, .buyHoldReturnPct,
                .returnAnnPct, .volatilityAnnPct, .cagrPct, .sharpeRatio, .sortinoRatio, .calmarRatio, .alphaPct, .beta,
                .maxDrawdownPct, .avgDrawdownPct, .maxDrawdownDurationDays, .avgDrawdownDurationDays, .winRatePct,
                .bestTradePct, .worstTradePct, .avgTradePct, .maxTradeDurationDays, .avgTradeDurationDays, .profitFactor,
                .expectancyPct, .sqn, .kellyCriterion:
                members[key.rawValue] = Schema.ref("WireNumber")
            }
        }
        return strict(members, description: "backtesting.py's statistics with the reference files' keys and units (durations in days)")
    }

    static var trade: JSONValue {
        var members: [String: JSONValue] = [:]
        for key in TradeRecord.CodingKeys.allCases {
            switch key {
            case .size: members[key.rawValue] = Schema.integer(description: "Units; negative for a short trade")
            case .entryBar, .exitBar: members[key.rawValue] = Schema.count()
            case .entryTime, .exitTime: members[key.rawValue] = Schema.string("YYYY-MM-DDTHH:MM:SS")
            case .durationDays: members[key.rawValue] = Schema.number()
            case .entryPrice, .exitPrice, .pnl, .commission: members[key.rawValue] = Schema.ref("WireNumber")
            case .returnPct: members[key.rawValue] = Schema.ref("WireNumber")
            case .sl, .tp: members[key.rawValue] = Schema.ref("WireNumber")
            }
        }
        return strict(members, description: "A closed trade; return_pct is a fraction; sl/tp are null when unset")
    }

    /// How much of a request the server checks before it answers: all of it (a single
    /// backtest: any invalid field is a 4xx), or only the JSON types (the shared fields of a
    /// batch: a value the engine refuses fails each item on its own, in a 200 reply).
    enum RequestChecks {
        case whole, types
    }

    /// The request fields the server reads (every field of `BacktestRequest` but those
    /// excluded). Every optional field may be `null`, which means its default.
    static func requestMembers(excluding excluded: Set<BacktestRequest.CodingKeys>, checks: RequestChecks) -> [String: JSONValue] {
        let whole = checks == .whole
        var members: [String: JSONValue] = [:]
        for key in BacktestRequest.CodingKeys.allCases where !excluded.contains(key) {
            let schema: JSONValue
            switch key {
            case .data: schema = Schema.string("A CSV path (local runs only)")
            case .ticker:
                schema = whole ? Schema.ticker("See GET /v1/tickers") : Schema.string()
            case .start: schema = whole ? date("inclusive") : Schema.string("YYYY-MM-DD or a date-time, inclusive")
            case .end:
                schema =
                    whole ? date("inclusive; a bare date is the whole day") : Schema.string("YYYY-MM-DD (the whole day) or a date-time, inclusive")
            case .strategy:
                schema =
                    whole
                    ? Schema.oneOf(
                        StrategyCatalog.all.map(\.name) + [BacktestRequest.rulesStrategy],
                        description: "See GET /v1/strategies; 'rules' with rules"
                    )
                    : Schema.string()
            case .params: schema = Schema.map(of: Schema.ref("ParameterValue"), description: "Strategy parameters; defaults filled in")
            case .cash:
                schema = Schema.number(exclusiveMinimum: whole ? 0 : nil, description: "Starting cash; default \(Int(BacktestSettings.defaultCash))")
            case .commission:
                let rate = whole ? Schema.number(minimum: -0.1, exclusiveMaximum: 0.1) : Schema.number()
                schema = [
                    "description": "A relative rate in [-0.1, 0.1), or [fixed >= 0, relative]; default 0",
                    "anyOf": [
                        rate,
                        [
                            "type": "array", "prefixItems": [Schema.number(minimum: whole ? 0 : nil), rate],
                            "minItems": 2, "maxItems": 2, "items": Schema.number(),
                        ],
                    ],
                ]
            case .spread:
                schema = Schema.number(minimum: whole ? 0 : nil, exclusiveMaximum: whole ? 0.1 : nil, description: "In [0, 0.1); default 0")
            case .margin:
                schema = Schema.number(exclusiveMinimum: whole ? 0 : nil, maximum: whole ? 1 : nil, description: "In (0, 1]; default 1")
            case .tradeOnClose, .hedging, .exclusiveOrders, .finalizeTrades: schema = Schema.boolean("Default false")
            case .slPct:
                schema = Schema.number(
                    exclusiveMinimum: whole ? 0 : nil,
                    exclusiveMaximum: whole ? 1 : nil,
                    description: "Stop-loss distance in (0, 1), a fraction of the signal close"
                )
            case .tpPct:
                schema = Schema.number(exclusiveMinimum: whole ? 0 : nil, description: "Take-profit distance > 0, a fraction of the signal close")
            case .include:
                schema = Schema.array(of: whole ? Schema.oneOf(["trades", "equity"]) : Schema.string(), description: "Extra outputs")
            case .rules:
                let description = "A strategy in the rules language (docs/rules.md) instead of a built-in; strategy is then 'rules' or absent"
                schema =
                    whole
                    ? ["type": "string", "maxLength": .number(Double(RulesLimits().maxSourceBytes)), "description": .string(description)]
                    : Schema.string(description)
            }
            // Every optional field may be null (its default); strategy too, for a request with rules.
            members[key.rawValue] = key == .ticker ? schema : Schema.nullable(schema)
        }
        return members
    }

    /// The two ways a request names its strategy, each a component of its own so that
    /// generators give it a type: a built-in (`strategy` required, one of the catalog's
    /// names; `rules` absent or null) or a rules program (`rules` required; `strategy`
    /// absent, null or 'rules'). The server refuses both or neither with a 422.
    enum StrategyForm {
        case builtin, rules

        /// The form's part of a component's name (`BacktestStrategyRequest`).
        var name: String { self == .builtin ? "Strategy" : "Rules" }
    }

    /// `NAMEStrategy…` xor `NAMERules…`: the union of a request's two forms.
    static func strategyUnion(_ name: String, description: String) -> JSONValue {
        let suffix = name == "Backtest" ? "Request" : "Backtest"
        return [
            "description": .string(description),
            "oneOf": [Schema.ref("\(name)Strategy\(suffix)"), Schema.ref("\(name)Rules\(suffix)")],
        ]
    }

    /// `members` (request fields, from ``requestMembers(excluding:checks:)``) as a strict
    /// object in `form`, with `required` and the form's own field required.
    static func requestForm(_ form: StrategyForm, _ members: [String: JSONValue], required: [String], description: String) -> JSONValue {
        var members = members
        switch form {
        case .builtin:
            members["strategy"] = Schema.oneOf(StrategyCatalog.all.map(\.name), description: "A built-in strategy; see GET /v1/strategies")
            members["rules"] = ["type": "null", "description": "Absent (or null) with a built-in strategy"]
        case .rules:
            members["strategy"] = Schema.nullable(
                Schema.oneOf([BacktestRequest.rulesStrategy], description: "Absent, null or 'rules' with a rules program")
            )
            members["rules"] = [
                "type": "string", "minLength": 1, "maxLength": .number(Double(RulesLimits().maxSourceBytes)),
                "description": "A strategy in the rules language (docs/rules.md); params override its declared defaults",
            ]
        }
        let names = required + [form == .builtin ? "strategy" : "rules"]
        return replacing(strict(members, description: description), "required", with: .array(names.sorted().map { .string($0) }))
    }

    /// One backtest (`POST /v1/backtests`, a batch's explicit item) in `form`.
    static func backtestRequest(_ form: StrategyForm) -> JSONValue {
        requestForm(
            form,
            requestMembers(excluding: [.data], checks: .whole),
            required: ["ticker"],
            description: "One backtest with \(form == .builtin ? "a built-in strategy" : "a rules program"); defaults as backtesting.py's"
        )
    }

    /// The backtest of a search in `form`: as a BacktestRequest, but its ticker may be given
    /// by the search's `tickers` instead (one of the two is needed).
    static func optimizationBacktest(_ form: StrategyForm) -> JSONValue {
        var members = requestMembers(excluding: [.data], checks: .whole)
        members["ticker"] = Schema.nullable(Schema.ticker("The ticker (or give the search's 'tickers')"))
        return requestForm(form, members, required: [], description: "The backtest each combination runs; grid values override its params")
    }

    /// A date as the server reads it: `YYYY-MM-DD`, or a date-time (`T` or a space, seconds
    /// and fraction optional, `Z` or an offset, converted to UTC).
    static func date(_ bound: String) -> JSONValue {
        [
            "description": .string("YYYY-MM-DD or an RFC 3339 date-time (a space for T and no seconds or offset are accepted too), \(bound)"),
            "anyOf": [["type": "string", "format": "date"], ["type": "string", "format": "date-time"]],
        ]
    }

    /// A batch body: one of three named forms, `NAMERequests` (explicit requests),
    /// `NAMETickers` (tickers sharing the other fields, a built-in strategy) and
    /// `NAMERulesTickers` (the same with a rules program), so that client generators give
    /// each a type of its own.
    static func batchRequest(named name: String, limit: Int, answer: String) -> JSONValue {
        let description = """
            Explicit requests (\(name)Requests), or tickers sharing the other request fields (\(name)Tickers, \(name)RulesTickers); \
            1 to \(limit) items. The body as a whole is checked (its shape, the item count, the shared fields' types, strategy xor \
            rules); each item then succeeds or fails on its own: an item the engine refuses (a bound, an unknown ticker, \
            fast >= slow, ...) is that item's error \(answer), and the other items still run.
            """
        return [
            "description": .string(description),
            "oneOf": [Schema.ref("\(name)Requests"), Schema.ref("\(name)Tickers"), Schema.ref("\(name)RulesTickers")],
        ]
    }

    /// The explicit form of a batch: `{"requests": [...]}`.
    static func batchOfRequests(limit: Int) -> JSONValue {
        Schema.object(
            [
                "requests": Schema.array(
                    of: Schema.ref("BacktestRequest"),
                    minItems: 1,
                    maxItems: limit,
                    description: "Each a BacktestRequest; an item that is not (or that the engine refuses) fails on its own, as its item's error"
                )
            ],
            description: "Explicit requests, each a BacktestRequest"
        )
    }

    /// The shared form of a batch in `form`: `{"tickers": [...], ...shared fields}`.
    static func batchOfTickers(_ form: StrategyForm, limit: Int) -> JSONValue {
        var shared = requestMembers(excluding: [.data, .ticker], checks: .whole)
        shared["tickers"] = Schema.array(
            of: Schema.ticker(),
            minItems: 1,
            maxItems: limit,
            description: "One backtest per ticker, sharing the other fields; an unknown ticker fails on its own"
        )
        return requestForm(
            form,
            shared,
            required: ["tickers"],
            description: "Tickers sharing the other request fields, with \(form == .builtin ? "a built-in strategy" : "a rules program")"
        )
    }

    static var backtestReply: JSONValue {
        Schema.object(
            [
                "ticker": Schema.string(), "start": Schema.string("First bar used"), "end": Schema.string("Last bar used"),
                "strategy": Schema.string(),
                "params": Schema.map(of: Schema.ref("ParameterValue"), description: "Every parameter with the value used"),
                "stats": Schema.ref("Statistics"),
                "trades": Schema.array(of: Schema.ref("Trade"), description: "When include has trades"),
                "equity": Schema.array(of: Schema.ref("WireNumber"), description: "When include has equity: one value per bar"),
                "cached": Schema.boolean("The result came from the cache"),
                "elapsed_ms": Schema.number(minimum: 0, description: "Server-side time"),
                "coverage": Schema.ref("Coverage"),
            ],
            optional: ["trades", "equity", "coverage"]
        )
    }

    /// The window a result covers against the requested one (issue 25).
    static var coverage: JSONValue {
        Schema.object(
            [
                "requested_start": Schema.string("The requested first date, when one was given"),
                "requested_end": Schema.string("The requested last date, when one was given"),
                "first_bar": Schema.string("First bar's date-time"), "last_bar": Schema.string("Last bar's date-time"),
                "bars": Schema.count("Bars in the window"),
                "short": Schema.boolean("The data starts more than 5 trading days late or ends more than 5 early"),
            ],
            optional: ["requested_start", "requested_end", "bars"],
            description: "The window the result covers against the one requested"
        )
    }

    static var batchItem: JSONValue {
        guard
            case .object(var members) = Schema.object(
                ["index": Schema.count(), "ticker": Schema.string(), "result": Schema.ref("BacktestReply"), "error": Schema.ref("Problem")],
                optional: ["ticker", "result", "error"],
                description: "The result or the error of request `index`"
            )
        else { return nil }
        // Inside allOf, so that generators keep the object's members (openapi-python-client
        // would make a top-level oneOf an untyped union).
        members["allOf"] = [["oneOf": [["required": ["result"]], ["required": ["error"]]]]]
        return .object(members)
    }

    static var health: JSONValue {
        Schema.object([
            "status": Schema.oneOf(["ok", "draining"]), "version": Schema.string(), "uptime_s": Schema.number(minimum: 0),
            "workers": Schema.count(), "in_flight": Schema.count("Backtests running now"),
            "queued": Schema.count("Backtests waiting for a worker"),
        ])
    }

    static var strategyInfo: JSONValue {
        let parameter = Schema.object(
            [
                "name": Schema.string(), "type": Schema.oneOf(ParameterKind.allCases.map(\.rawValue)),
                "default": Schema.ref("ParameterValue"), "minimum": Schema.number(), "maximum": Schema.number(),
                "description": Schema.string(),
            ],
            optional: ["default", "minimum", "maximum"]
        )
        return Schema.object([
            "name": Schema.string(), "description": Schema.string(), "parameters": Schema.array(of: parameter),
            "rules": Schema.string("The same strategy in the rules language (send it as 'rules' to run it)"),
        ])
    }

    /// A strict object with every member required.
    private static func strict(_ members: [String: JSONValue], description: String? = nil) -> JSONValue {
        var schema: [String: JSONValue] = [
            "type": "object", "properties": .object(members), "required": .array(members.keys.sorted().map { .string($0) }),
            "additionalProperties": false,
        ]
        if let description { schema["description"] = .string(description) }
        return .object(schema)
    }

    private static func replacing(_ schema: JSONValue, _ key: String, with value: JSONValue) -> JSONValue {
        guard case .object(var members) = schema else { return schema }
        members[key] = value
        return .object(members)
    }
}
