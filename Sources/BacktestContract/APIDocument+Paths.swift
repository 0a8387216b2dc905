import BacktestAPI
import BacktestJSON

/// The operations: every route with its body, parameters and every reply it can send.
extension APIDocument {
    static var paths: JSONValue {
        [
            "/health": [
                "get": operation(
                    "health",
                    "Liveness and load; no key needed",
                    public: true,
                    replies: [200: json("Up", "Health")]
                )
            ],
            "/ready": [
                "get": operation(
                    "ready",
                    "Readiness; 503 while starting, draining or unable to reach the database; no key needed",
                    public: true,
                    replies: [200: json("Ready", "Ready"), 503: problem(503)]
                )
            ],
            "/metrics": [
                "get": operation(
                    "metrics",
                    "Prometheus text: requests by route and status, backtest latency, queue depth, cache, jobs",
                    replies: [200: reply("Prometheus text exposition 0.0.4", media: "text/plain", schema: Schema.string())]
                )
            ],
            "/openapi.json": [
                "get": operation("openapi", "This document", replies: [200: reply("OpenAPI 3.1", schema: ["type": "object"])])
            ],
            "/v1/strategies": [
                "get": operation(
                    "listStrategies",
                    "Built-in strategies with their parameters (type, default, bounds)",
                    replies: [200: json("Strategies", "StrategyList")]
                )
            ],
            "/v1/tickers": [
                "get": operation(
                    "listTickers",
                    "Tickers the server has bars for, with first and last bar and bar count",
                    replies: [200: json("Tickers", "TickerList")]
                )
            ],
            "/v1/backtests": [
                "post": operation(
                    "runBacktest",
                    "Run one backtest",
                    body: "BacktestRequest",
                    replies: [200: json("Result", "BacktestReply"), 404: problem(404)].merging(workErrors) { a, _ in a }
                )
            ],
            "/v1/portfolios": portfolioPath,
            "/v1/backtests/batch": [
                "post": operation(
                    "runBatch",
                    "Run up to 1000 backtests in one call; each item succeeds or fails on its own",
                    body: "BatchRequest",
                    replies: [200: json("One item per request, in request order", "BatchReply")].merging(workErrors) { a, _ in a }
                )
            ],
            "/": [
                "get": operation(
                    "dashboard",
                    "The live dashboard (HTML; no key needed for the page, which calls the API with the key the user enters, kept in the tab's sessionStorage, never in a URL)",
                    public: true,
                    replies: [200: html("The dashboard")]
                )
            ],
            "/v1/cluster": [
                "get": operation(
                    "cluster",
                    "The nodes sharing this server's database (seen in the last three leases) and its work queue",
                    replies: [200: json("Cluster", "ClusterStatus"), 500: problem(500)]
                )
            ],
            "/v1/reports": [
                "post": operation(
                    "backtestReport",
                    "One backtest (the body of POST /v1/backtests) or one portfolio (the body of POST /v1/portfolios) as an interactive HTML report",
                    oneOf: ["BacktestRequest", "PortfolioRequest"],
                    replies: [200: html("The report"), 404: problem(404)].merging(workErrors.filter { $0.key != 429 }) { a, _ in a }
                )
            ],
            "/v1/jobs/{id}/report": [
                "parameters": [pathParameter("id", "A job id from POST /v1/jobs")],
                "get": jobReport,
            ],
            "/v1/optimizations/{id}/report": [
                "parameters": [pathParameter("id", "An id from POST /v1/optimizations")],
                "get": operation(
                    "optimizationReport",
                    "A finished search as an HTML report: heatmaps of each pair of parameters, the top list, the walk-forward folds and stitched equity",
                    replies: [200: html("The report"), 404: problem(404), 409: problem(409, "The search has not finished (not_finished)")]
                ),
            ],
            "/v1/jobs": [
                "get": listJobs,
                "post": operation(
                    "createJob",
                    "Run a batch of backtests, or of portfolios (`portfolios`), asynchronously; each item runs on any node of a cluster; stored, so a restart loses no finished item and resumes the rest",
                    body: "JobRequest",
                    replies: [202: json("Accepted", "JobCreated", headers: ["Location": header("The job's status URL")])]
                        .merging(workErrors.filter { $0.key != 429 }) { a, _ in a }
                ),
            ],
            "/v1/jobs/{id}": [
                "parameters": [pathParameter("id", "A job id from POST /v1/jobs")],
                "get": operation(
                    "getJob",
                    "A job's status and progress; its results once it has ended",
                    replies: [200: json("Status", "JobStatus"), 404: problem(404)]
                ),
                "delete": operation(
                    "deleteJob",
                    "Delete a batch or portfolio job and its results, cancelling it first if it is still queued or running; a later GET is 404. A search's id is a 404 here (DELETE /v1/optimizations/{id} deletes a search)",
                    replies: [204: ["description": "Deleted"], 404: problem(404)]
                ),
            ],
            "/v1/jobs/{id}/cancel": [
                "parameters": [pathParameter("id", "A job id from POST /v1/jobs")],
                "post": operation(
                    "cancelJob",
                    "Cancel a job and keep its record: queued items are dropped, finished ones kept (an ended job is returned unchanged)",
                    replies: [200: json("Status after cancelling", "JobStatus"), 404: problem(404)]
                ),
            ],
            "/v1/jobs/{id}/events": [
                "parameters": [pathParameter("id", "A job id from POST /v1/jobs")],
                "get": operation(
                    "jobEvents",
                    "Live progress as Server-Sent Events: 'event: item' (data: JobItemEvent) per finished item, earlier ones replayed first, then 'event: done' (data: JobStatus without results). A ': keep-alive' comment after 15 s without news; a server shutting down ends the stream without 'done' (read the status, or reconnect)",
                    replies: [
                        200: reply("Event stream", media: "text/event-stream", schema: serverSentEvent), 404: problem(404),
                    ]
                ),
            ],
            "/v1/optimizations": [
                "post": operation(
                    "createOptimization",
                    "Search a strategy's parameters (grid, random or walk-forward; one or several tickers) as a job: stored, resumed after a restart, spread over the workers in units",
                    body: "OptimizationRequest",
                    replies: [
                        202: json("Accepted", "JobCreated", headers: ["Location": header("The optimization's status URL")]),
                        404: problem(404),
                        413: problem(
                            413,
                            "The body is over 1 MiB, or the grid has more combinations than --max-combinations (too_many_combinations)"
                        ),
                    ].merging(workErrors.filter { $0.key != 429 }) { a, _ in a }
                )
            ],
            "/v1/optimizations/{id}": [
                "parameters": [pathParameter("id", "An id from POST /v1/optimizations")],
                "get": operation(
                    "getOptimization",
                    "A search's state and progress (combinations, or folds); its result once done, its error once failed",
                    replies: [200: json("Status", "OptimizationStatus"), 404: problem(404)]
                ),
                "delete": operation(
                    "deleteOptimization",
                    "Delete a search and its results, cancelling it first if it is still running; a later GET is 404",
                    replies: [204: ["description": "Deleted"], 404: problem(404)]
                ),
            ],
            "/v1/optimizations/{id}/cancel": [
                "parameters": [pathParameter("id", "An id from POST /v1/optimizations")],
                "post": operation(
                    "cancelOptimization",
                    "Cancel a search and keep its record (an ended one is returned unchanged)",
                    replies: [200: json("Status after cancelling", "OptimizationStatus"), 404: problem(404)]
                ),
            ],
            "/v1/optimizations/{id}/events": [
                "parameters": [pathParameter("id", "An id from POST /v1/optimizations")],
                "get": operation(
                    "optimizationEvents",
                    "Live progress as Server-Sent Events: 'event: progress' (data: JobProgress) per finished unit, the latest replayed first, then 'event: done' (data: JobStatus). A ': keep-alive' comment after 15 s without news; a server shutting down ends the stream without 'done' (read the status, or reconnect)",
                    replies: [200: reply("Event stream", media: "text/event-stream", schema: serverSentEvent), 404: problem(404)]
                ),
            ],
            "/v1/optimizations/{id}/heatmap": [
                "parameters": [pathParameter("id", "An id from POST /v1/optimizations")],
                "get": operation(
                    "optimizationHeatmap",
                    "Every combination with its reported statistics as CSV, in run order (a ticker column first for several tickers; NaN empty)",
                    replies: [
                        200: reply("The heatmap", media: "text/csv", schema: Schema.string("parameters,statistics...")),
                        404: problem(404, "Unknown optimization, or a walk-forward analysis (it has no heatmap)"),
                        409: problem(409, "The search has not finished (not_finished)"),
                    ]
                ),
            ],
            "/v1/tickers/{ticker}/bars": [
                "parameters": [pathParameter("ticker", "A symbol: letters, digits and . _ ^ = -, at most 32 characters", schema: Schema.ticker())],
                "put": uploadBars,
            ],
            "/v1/tickers/{ticker}": [
                "parameters": [pathParameter("ticker", "A symbol imported into the server's store", schema: Schema.ticker())],
                "delete": operation(
                    "removeTicker",
                    "Remove an imported ticker and its bars (bundled and --data-dir files are not touched)",
                    replies: [200: json("Removed", "TickerRemoval"), 404: problem(404), 422: problem(422), 503: problem(503)]
                ),
            ],
        ]
    }

    static var listJobs: JSONValue {
        adding(
            queryParameter("limit", "How many (1 to 200; default 20)", schema: ["type": "integer", "minimum": 1, "maximum": 200, "default": 20]),
            to: operation(
                "listJobs",
                "The most recent jobs (batches and searches), newest first, with their progress in items",
                replies: [200: json("Jobs", "JobList"), 422: problem(422, "A limit out of range")]
            )
        )
    }

    static var jobReport: JSONValue {
        adding(
            queryParameter("item", "An item's index: its own report", schema: ["type": "integer", "minimum": 0]),
            to: operation(
                "jobReport",
                "A finished batch or portfolio job as an HTML page (a sortable table of its items with equity sparklines); with item=N, that item's own report (a portfolio's page for a portfolio job)",
                replies: [
                    200: html("The report"), 404: problem(404), 409: problem(409, "The job has not ended (not_finished)"),
                    422: problem(422, "An item that is not a successful backtest or portfolio of the job"),
                ]
            )
        )
    }

    /// An optional query parameter.
    static func queryParameter(_ name: String, _ description: String, schema: JSONValue) -> JSONValue {
        ["name": .string(name), "in": "query", "required": false, "description": .string(description), "schema": schema]
    }

    /// `operation` with `parameter` among its parameters.
    static func adding(_ parameter: JSONValue, to operation: JSONValue) -> JSONValue {
        guard case .object(var members) = operation else { return operation }
        if case .array(let list) = members["parameters"] {
            members["parameters"] = .array(list + [parameter])
        } else {
            members["parameters"] = [parameter]
        }
        return .object(members)
    }

    /// An HTML reply with the headers every page carries.
    static func html(_ description: String) -> JSONValue {
        reply(
            description,
            media: "text/html",
            schema: Schema.string("A self-contained page"),
            headers: ["Content-Security-Policy": header("The page's strict policy (scripts and styles by hash)", required: true)]
        )
    }

    static var uploadBars: JSONValue {
        var put = operation(
            "uploadBars",
            "Upload a ticker's bars as CSV; replaces its imported bars atomically (validated like 'backtest data import'; a refused file imports nothing and the detail names its line)",
            replies: [
                200: json("Replaced an imported series", "TickerImport"), 201: json("Imported a new ticker", "TickerImport"),
                413: problem(413, "The upload is over the server's limit (--max-upload-mb, default 64)"),
                415: problem(415, "The body is not CSV (application/octet-stream, text/csv, application/csv or text/plain)"),
                422: problem(422, "Invalid bars (the detail names the line) or ticker"), 429: problem(429), 503: problem(503),
            ]
        )
        put = adding(
            queryParameter("adjust", "Scale Open, High and Low by Adj Close / Close", schema: ["type": "boolean", "default": false]),
            to: put
        )
        guard case .object(var members) = put else { return put }
        // The CSV text as raw bytes: client generators (openapi-python-client) take an
        // application/octet-stream body as a file and skip a text/csv one. The server reads
        // text/csv, application/csv and text/plain bodies the same way.
        members["requestBody"] = [
            "required": true,
            "description":
                "The CSV text: Date,Open,High,Low,Close[,Adj Close][,Volume] (Yahoo's layout) or backtesting.py's; dates or date-times. Sent as application/octet-stream, or as text/csv, application/csv or text/plain",
            "content": [
                "application/octet-stream": [
                    "schema": ["type": "string", "format": "binary", "description": "The CSV file's bytes (UTF-8)"],
                    "example": "Date,Open,High,Low,Close,Volume\n2024-01-02,10,11,9.5,10.5,1000\n2024-01-03,10.5,11.2,10.1,11,1200\n",
                ]
            ],
        ]
        put = .object(members)
        return put
    }

    /// A valid body per request schema, for readers and for the fuzzer's examples phase.
    public static var examples: [String: JSONValue] {
        [
            "BacktestRequest": [
                "ticker": "AAPL", "start": "2020-01-01", "end": "2020-12-31", "strategy": "sma_cross",
                "params": ["fast": 10, "slow": 30], "commission": 0.002, "include": ["trades"],
            ],
            "BatchRequest": [
                "tickers": ["AAPL", "MSFT", "NVDA"], "start": "2020-01-01", "end": "2020-12-31", "strategy": "rsi_reversion",
            ],
            "JobRequest": [
                "tickers": ["AAPL", "MSFT", "NVDA"], "start": "2020-01-01", "end": "2020-12-31", "strategy": "rsi_reversion",
            ],
            "PortfolioRequest": [
                "tickers": ["AAPL", "MSFT", "GOOG"], "start": "2018-01-01", "end": "2020-12-31", "allocation": ["type": "equal"],
                "schedule": ["type": "monthly"], "commission": 0.001, "include": ["orders"],
            ],
            "OptimizationRequest": [
                "backtest": ["ticker": "GOOG", "strategy": "sma_cross", "commission": 0.002],
                "grid": ["fast=5..50:5", "slow=10..200:10"], "constraint": "fast < slow", "maximize": "sqn", "top": 5,
            ],
        ]
    }

    /// The errors of every route that runs work from a JSON body.
    static var workErrors: [Int: JSONValue] {
        [400: problem(400), 413: problem(413), 422: problem(422), 429: problem(429), 503: problem(503)]
    }

    /// An operation; every one may answer 500 (a server fault), protected ones 401 and 503
    /// (draining, or the database unreachable).
    static func operation(
        _ id: String,
        _ summary: String,
        public isPublic: Bool = false,
        body: String? = nil,
        replies: [Int: JSONValue]
    ) -> JSONValue {
        var responses: [String: JSONValue] = [:]
        for (status, reply) in replies { responses[String(status)] = reply }
        var members: [String: JSONValue] = ["operationId": .string(id), "summary": .string(summary)]
        responses["500"] = problem(500)
        if isPublic {
            members["security"] = []
        } else {
            responses["401"] = problem(401)
            if responses["503"] == nil { responses["503"] = problem(503) }
        }
        if let body {
            var media: [String: JSONValue] = ["schema": Schema.ref(body)]
            if let example = examples[body] { media["example"] = example }
            members["requestBody"] = ["required": true, "content": ["application/json": .object(media)]]
        }
        members["responses"] = .object(responses)
        return .object(members)
    }

    static func json(_ description: String, _ schema: String, headers: [String: JSONValue] = [:]) -> JSONValue {
        reply(description, schema: Schema.ref(schema), headers: headers)
    }

    static func reply(_ description: String, media: String = "application/json", schema: JSONValue, headers: [String: JSONValue] = [:]) -> JSONValue {
        var members: [String: JSONValue] = ["description": .string(description), "content": [media: ["schema": schema]]]
        if !headers.isEmpty { members["headers"] = .object(headers) }
        return .object(members)
    }

    /// A problem reply with the headers its status always carries.
    static func problem(_ status: Int, _ description: String? = nil) -> JSONValue {
        var headers: [String: JSONValue] = [:]
        let text: String
        switch status {
        case 400: text = "The body is not JSON, or not the expected shape"
        case 401:
            text = "Missing or wrong API key"
            headers["WWW-Authenticate"] = header("The scheme to use: Bearer", required: true)
        case 404: text = "Unknown ticker (the detail says how to add one), job or optimization"
        case 413: text = "The body is over the server's limit (1 MiB)"
        case 409: text = "Not ready yet"
        case 422: text = "An invalid field, named in 'field' (unknown strategy or parameter, end before start, cash <= 0, ...)"
        case 429:
            text = "The queue is full"
            headers["Retry-After"] = header("Seconds to wait before retrying", required: true, integer: true)
        case 503:
            text = "Starting, draining, shutting down, or the database is unreachable (database_unavailable)"
            headers["Retry-After"] = header("Seconds to wait before retrying", required: true, integer: true)
        case 500: text = "A server fault (e.g. an unreadable data file); quote its request_id"
        default: text = "Error"
        }
        return reply(description ?? text, media: "application/problem+json", schema: Schema.ref("Problem"), headers: headers)
    }

    static func header(_ description: String, required: Bool = false, integer: Bool = false) -> JSONValue {
        ["description": .string(description), "required": .bool(required), "schema": ["type": integer ? "integer" : "string"]]
    }

    static func pathParameter(_ name: String, _ description: String, schema: JSONValue = ["type": "string"]) -> JSONValue {
        ["name": .string(name), "in": "path", "required": true, "description": .string(description), "schema": schema]
    }

    /// One event of a job's stream, as a reader of `text/event-stream` sees it: the event
    /// name and its data (a JobItemEvent for `item`, a JobProgress for `progress`, a JobStatus
    /// for `done`).
    /// The events of a job's stream and the schema of each one's data.
    public static let eventSchemas = ["item": "JobItemEvent", "progress": "JobProgress", "done": "JobStatus"]

    /// One event as a reader of the stream sees it (what Schemathesis checks each event
    /// against), or the stream as text for a client that reads the reply whole (so that
    /// openapi-python-client returns the text instead of parsing it as one object).
    static var serverSentEvent: JSONValue {
        [
            "anyOf": [
                [
                    "type": "object", "required": ["event", "data"],
                    "properties": [
                        "event": ["enum": .array(eventSchemas.keys.sorted().map { .string($0) })],
                        "data": ["type": "string", "contentMediaType": "application/json"],
                    ],
                ],
                ["type": "string", "description": "The whole stream as text"],
            ]
        ]
    }
}
