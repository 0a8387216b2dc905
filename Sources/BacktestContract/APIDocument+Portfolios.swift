import BacktestAPI
import BacktestEngine
import BacktestJSON

/// The schemas of portfolio backtests (`/v1/portfolios`).
extension APIDocument {
    static var portfolioPath: JSONValue {
        [
            "post": operation(
                "runPortfolio",
                "Run one portfolio backtest: one cash account over several tickers, rebalanced to target weights (docs/portfolios.md). A ticker the server has no bars for is a 404; weights for a ticker not in the run, weights above 1 in sum, or a lookback not shorter than the data are a 422 naming the field",
                body: "PortfolioRequest",
                replies: [200: json("Result", "PortfolioReply"), 404: problem(404)].merging(workErrors) { a, _ in a }
            )
        ]
    }

    /// The body of `POST /v1/jobs`: a batch's three forms, or portfolios.
    static var jobRequest: JSONValue {
        guard case .object(var members) = batchRequest(named: "Job", limit: BatchRequest.maxJobItems, answer: "in the job's results"),
            case .array(var forms)? = members["oneOf"], case .string(let description)? = members["description"]
        else { return nil }
        forms.append(Schema.ref("JobPortfolios"))
        members["oneOf"] = .array(forms)
        members["description"] = .string(
            description
                + " Or portfolios (JobPortfolios): each entry the body of POST /v1/portfolios, run as its own item; an entry that is not one fails as its item's error, naming its field."
        )
        return .object(members)
    }

    /// An item of a job's results: a batch's or a portfolio job's (an error item is both).
    static var jobItem: JSONValue {
        ["anyOf": [Schema.ref("BatchItem"), Schema.ref("PortfolioItem")]]
    }

    /// The schemas of portfolio jobs (`POST /v1/jobs` with `portfolios`).
    static var portfolioJobSchemas: [String: JSONValue] {
        var item: JSONValue = nil
        if case .object(var members) = Schema.object(
            ["index": Schema.count(), "result": Schema.ref("PortfolioReply"), "error": Schema.ref("Problem")],
            optional: ["result", "error"],
            description: "The reply of POST /v1/portfolios for portfolio `index`, or why it failed"
        ) {
            // As BatchItem: inside allOf, so that generators keep the object's members.
            members["allOf"] = [["oneOf": [["required": ["result"]], ["required": ["error"]]]]]
            item = .object(members)
        }
        return [
            "JobPortfolios": Schema.object(
                [
                    "portfolios": Schema.array(
                        of: Schema.ref("PortfolioRequest"),
                        minItems: 1,
                        maxItems: BatchRequest.maxJobItems,
                        description:
                            "Each the body of POST /v1/portfolios, run as its own item; one that is not (or that the engine refuses, or names an unknown ticker) fails on its own, as its item's error"
                    )
                ],
                description: "Portfolio backtests as a job"
            ),
            "PortfolioItem": item,
        ]
    }

    static var portfolioSchemas: [String: JSONValue] {
        let weights = Schema.map(
            of: Schema.number(minimum: 0, maximum: 1),
            description: "Ticker → fraction of equity (at most 1 in sum; the rest is cash)"
        )
        let date: JSONValue = ["type": "string", "format": "date", "description": "YYYY-MM-DD"]
        let lookback = Schema.integer(minimum: 1, maximum: PortfolioSettings.maxPeriodBars, description: "Bars of history; shorter than the data")
        return [
            "PortfolioRequest": Schema.object(
                [
                    "tickers": Schema.array(
                        of: Schema.ticker(),
                        minItems: 1,
                        maxItems: PortfolioSettings.maxTickers,
                        description: "Distinct tickers, in portfolio order (ties go by it)"
                    ),
                    "start": Schema.nullable(date), "end": Schema.nullable(date),
                    "allocation": [
                        "oneOf": [
                            Schema.ref("WeightsAllocation"), Schema.ref("FixedAllocation"), Schema.ref("EqualAllocation"),
                            Schema.ref("MomentumAllocation"), Schema.ref("InverseVolatilityAllocation"),
                        ]
                    ],
                    "schedule": ["oneOf": [Schema.ref("CalendarSchedule"), Schema.ref("EveryNBarsSchedule"), ["type": "null"]]],
                    "cash": Schema.nullable(
                        Schema.number(exclusiveMinimum: 0, maximum: PortfolioSettings.maxCash, description: "Starting cash; default 100000")
                    ),
                    "commission": Schema.nullable(Schema.number(minimum: 0, exclusiveMaximum: 0.1, description: "Rate per fill; default 0")),
                    "fractional": Schema.nullable(Schema.boolean("Any positive size instead of whole units; default false")),
                    "trade_on_close": Schema.nullable(Schema.boolean("Fill at the decision bar's close instead of the next open; default false")),
                    "include": Schema.nullable(
                        Schema.array(
                            of: Schema.oneOf(PortfolioRequest.includeItems),
                            description: "Extra outputs: equity (with dates), orders, weights"
                        )
                    ),
                ],
                optional: ["start", "end", "schedule", "cash", "commission", "fractional", "trade_on_close", "include"],
                description:
                    "A portfolio backtest; `schedule` is required (not null) for every allocation but weights, which must have none; null is the same as an absent member"
            ),
            "WeightsAllocation": Schema.object(
                [
                    "type": Schema.oneOf(["weights"]),
                    "schedule": Schema.array(
                        of: Schema.object(["date": date, "weights": weights]),
                        minItems: 1,
                        description: "Each entry applies at the first bar on or after its date; distinct dates"
                    ),
                ],
                description: "A dated weights schedule"
            ),
            "FixedAllocation": Schema.object(
                ["type": Schema.oneOf(["fixed"]), "weights": weights],
                description: "The same weights on every schedule bar"
            ),
            "EqualAllocation": Schema.object(["type": Schema.oneOf(["equal"])], description: "1/n to each ticker with a bar"),
            "MomentumAllocation": Schema.object(
                [
                    "type": Schema.oneOf(["momentum"]), "lookback": lookback,
                    "top_k": Schema.integer(minimum: 1, maximum: PortfolioSettings.maxTickers, description: "At most the number of tickers"),
                ],
                description: "Equal weights to the top_k tickers by lookback-bar return"
            ),
            "InverseVolatilityAllocation": Schema.object(
                [
                    "type": Schema.oneOf(["inverse_volatility"]),
                    "lookback": Schema.integer(
                        minimum: 2,
                        maximum: PortfolioSettings.maxPeriodBars,
                        description: "Bars of history; shorter than the data"
                    ),
                ],
                description: "Weights proportional to 1/σ of the last lookback returns"
            ),
            "CalendarSchedule": Schema.object(
                ["type": Schema.oneOf(["monthly", "weekly", "quarterly", "never"])],
                description: "Decide on the first bar of each month, ISO week or quarter, or on bar 0 only"
            ),
            "EveryNBarsSchedule": Schema.object(
                ["type": Schema.oneOf(["every_n_bars"]), "n": Schema.integer(minimum: 1, maximum: PortfolioSettings.maxPeriodBars)],
                description: "Decide on bars 0, n, 2n, …"
            ),
            "PortfolioReply": Schema.object(
                [
                    "tickers": Schema.array(of: Schema.string()),
                    "stats": Schema.map(
                        of: ["anyOf": [Schema.ref("WireNumber"), Schema.string()]],
                        description:
                            "backtesting.py's equity-based statistics (start and end as date-times); trade statistics, alpha and beta are not reported"
                    ),
                    "positions": Schema.map(of: Schema.number(), description: "Units held at the end"),
                    "cash": Schema.number(),
                    "dates": Schema.array(of: Schema.string(), description: "With include equity: the calendar"),
                    "equity": Schema.array(of: Schema.ref("WireNumber"), description: "With include equity: one value per date"),
                    "orders": Schema.array(of: Schema.ref("PortfolioOrder"), description: "With include orders: every fill, in execution order"),
                    "decisions": Schema.array(
                        of: Schema.object(["date": Schema.string(), "executed": Schema.boolean(), "weights": Schema.map(of: Schema.number())]),
                        description: "With include weights: the target weights of every decision bar"
                    ),
                    "weights": Schema.map(
                        of: Schema.array(of: Schema.ref("WireNumber")),
                        description: "With include weights: each ticker's share of equity per date"
                    ),
                ],
                optional: ["dates", "equity", "orders", "decisions", "weights"]
            ),
            "PortfolioOrder": Schema.object([
                "date": Schema.string("The fill bar"), "ticker": Schema.string(),
                "size": Schema.number(description: "Units: + bought, - sold"), "price": Schema.number(),
                "commission": Schema.number(), "decision_date": Schema.string("The bar whose close decided"),
                "partial": Schema.boolean("A buy cut short by the cash left"),
            ]),
        ]
    }
}
