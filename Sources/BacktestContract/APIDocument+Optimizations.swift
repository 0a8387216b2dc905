import BacktestAPI
import BacktestJSON
import BacktestResearch

/// The schemas of parameter searches (`/v1/optimizations`).
extension APIDocument {
    /// A search's overfitting statistics (`RobustnessSummary`; docs/robustness.md has the
    /// formulas).
    static var robustness: JSONValue {
        let percentiles = Schema.object(["p5": Schema.number(), "p50": Schema.number(), "p95": Schema.number()])
        return Schema.object(
            [
                "trials": Schema.integer(minimum: 2, description: "N: the combinations that ran"),
                "periods": Schema.count("T: bar-to-bar returns of each combination's equity"),
                "blocks": Schema.count("S: CSCV blocks"), "combinations": Schema.count("C(S, S/2): CSCV splits"),
                "best_trial": Schema.string("The combination with the best per-bar Sharpe ratio"),
                "sharpe": Schema.number(description: "Its per-bar Sharpe ratio"),
                "sharpe_std": Schema.number(minimum: 0, description: "std of the combinations' Sharpe ratios (ddof 1)"),
                "expected_max_sharpe": Schema.number(description: "SR0: the best of N Sharpe ratios expected without skill"),
                "psr": Schema.nullable(Schema.number(minimum: 0, maximum: 1, description: "PSR(SR*, 0); null when undefined")),
                "dsr": Schema.nullable(
                    Schema.number(minimum: 0, maximum: 1, description: "Deflated Sharpe ratio PSR(SR*, SR0); null when undefined")
                ),
                "pbo": Schema.number(minimum: 0, maximum: 1, description: "Probability of backtest overfitting (CSCV)"),
                "prob_oos_loss": Schema.number(minimum: 0, maximum: 1, description: "Share of splits where the in-sample best loses out of sample"),
                "degradation": Schema.object(
                    ["slope": Schema.number(), "intercept": Schema.number()],
                    description: "Out-of-sample against in-sample Sharpe ratio of the in-sample best"
                ),
                "bootstrap": Schema.object(
                    [
                        "samples": Schema.integer(minimum: 1), "seed": Schema.count(), "trades": Schema.integer(minimum: 1),
                        "total_return": percentiles, "max_drawdown": percentiles,
                    ],
                    description: "The winner's trades resampled with replacement: 5/50/95th percentiles"
                ),
                "winner": Schema.string("The search's winner (by its objective)"),
                "winner_sharpe": Schema.number(description: "The winner's per-bar Sharpe ratio"),
                "winner_psr": Schema.nullable(Schema.number(minimum: 0, maximum: 1, description: "The winner's PSR(SR, 0)")),
                "logit_histogram": Schema.object(
                    [
                        "lower": Schema.number(description: "The first bin's left (open) edge, a multiple of width"),
                        "width": Schema.number(description: "Each bin's width (0.25)"),
                        "counts": Schema.array(of: Schema.count(), description: "Splits per bin; they add up to combinations"),
                    ],
                    description:
                        "Every split's logit λ in right-closed bins (lower + k·width, lower + (k+1)·width]: the bins at or below 0 hold the splits PBO counts"
                ),
                "split_sample": Schema.object(
                    [
                        "step": Schema.integer(minimum: 1, description: "Splits 0, step, 2·step, … (at most 1,000)"),
                        "in_sample_sharpe": Schema.array(of: Schema.number(), description: "The in-sample best's in-sample per-bar Sharpe ratio"),
                        "out_of_sample_sharpe": Schema.array(of: Schema.number(), description: "Its out-of-sample per-bar Sharpe ratio"),
                    ],
                    description:
                        "Some splits' Sharpe ratios of the in-sample best, 6 significant digits, for a scatter (the degradation line fits every split)"
                ),
            ],
            optional: ["bootstrap", "winner", "winner_sharpe", "winner_psr", "logit_histogram", "split_sample"],
            description: "Overfitting statistics over every combination that ran: DSR and PBO pick by per-bar Sharpe ratio, whatever the objective"
        )
    }

    static var optimizationSchemas: [String: JSONValue] {
        let parameters = Schema.map(of: Schema.ref("ParameterValue"), description: "In grid order")
        return [
            "OptimizationRequest": optimizationRequest,
            "OptimizationStatus": Schema.object(
                [
                    "id": Schema.string(), "status": Schema.oneOf(JobState.allCases.map(\.rawValue)),
                    "progress": Schema.ref("JobProgress"),
                    "result": Schema.ref("OptimizationReport"),
                    "error": Schema.ref("Problem"),
                ],
                optional: ["result", "error"]
            ),
            "OptimizationReport": Schema.object(
                [
                    "parameters": Schema.array(of: Schema.string(), description: "The grid's parameters, in order"),
                    "statistics": Schema.array(of: Schema.string(), description: "The statistics each top entry reports, in order"),
                    "objective": Schema.object(["statistic": Schema.string(), "direction": Schema.oneOf(["maximize", "minimize"])]),
                    "best": Schema.ref("OptimizationBest"),
                    "top": Schema.array(of: Schema.ref("OptimizationEntry"), description: "The best combinations, best first"),
                    "folds": Schema.array(of: Schema.ref("OptimizationFold"), description: "Walk-forward folds"),
                    "combinations": Schema.count("In the grid, before the constraint"),
                    "admissible": Schema.count("Admitted by the constraint"), "evaluated": Schema.count("Run, over all tickers"),
                    "without_trades": Schema.count("Runs without a trade (never chosen)"),
                    "min_trades": Schema.count("The trade floor, when the search had one"),
                    "below_min_trades": Schema.count("Runs that traded fewer times than min_trades (never chosen)"),
                    "warnings": Schema.array(
                        of: Schema.string(),
                        description: "Plain sentences about what could mislead, e.g. a winner with fewer than 10 trades"
                    ),
                    "seconds": Schema.number(minimum: 0, description: "Backtesting time, summed over the units"),
                    "walk_forward": Schema.string("train=N,test=M,step=K[,anchored]"),
                    "walk_forward_efficiency": Schema.nullable(
                        Schema.number(
                            description:
                                "Walk-forward: the folds' mean out-of-sample annualised return over their mean in-sample one; null when that is not above 0"
                        )
                    ),
                    "tickers": Schema.array(
                        of: Schema.object(
                            [
                                "ticker": Schema.string(), "best": Schema.ref("OptimizationBest"),
                                "top": Schema.array(of: Schema.ref("OptimizationEntry")), "coverage": Schema.ref("Coverage"),
                            ],
                            optional: ["coverage"]
                        ),
                        description: "Several tickers: each one's search"
                    ),
                    "ranking": Schema.array(
                        of: Schema.object(["params": parameters, "mean_objective": Schema.ref("WireNumber"), "tickers": Schema.count()]),
                        description: "Several tickers: the combinations by their mean objective"
                    ),
                    "robustness": Schema.ref("Robustness"),
                ],
                optional: [
                    "best", "combinations", "admissible", "evaluated", "without_trades", "min_trades", "below_min_trades", "seconds", "walk_forward",
                    "walk_forward_efficiency", "tickers", "ranking", "robustness",
                ],
                description:
                    "One ticker: best, top and counts; walk-forward: folds and best (the last fold's winner with the stitched out-of-sample statistics); several tickers: tickers and ranking"
            ),
            "Robustness": robustness,
            "OptimizationBest": Schema.object([
                "params": parameters, "objective": Schema.ref("WireNumber"), "stats": Schema.ref("Statistics"),
            ]),
            "OptimizationEntry": Schema.object([
                "params": parameters, "stats": Schema.map(of: Schema.ref("WireNumber"), description: "The reported statistics"),
            ]),
            "OptimizationWindow": Schema.object(["start": Schema.string(), "end": Schema.string(), "bars": Schema.count()]),
            "OptimizationFold": Schema.object([
                "train": Schema.ref("OptimizationWindow"), "test": Schema.ref("OptimizationWindow"), "params": parameters,
                "in_sample_objective": Schema.ref("WireNumber"), "stats": Schema.ref("Statistics"),
                "in_sample_return_ann_pct": Schema.ref("WireNumber"),
                "efficiency": Schema.ref("WireNumber"),
            ]),
        ]
    }

    /// `robustness_blocks`: an even whole number from 2 to ``OptimizationRequest/maxRobustnessBlocks``.
    static var robustnessBlocks: JSONValue {
        let schema = Schema.integer(
            minimum: 2,
            maximum: OptimizationRequest.maxRobustnessBlocks,
            description:
                "CSCV blocks S of the robustness block (a search of one ticker or a portfolio, without walk_forward); even. Default: \(BlockLayout.searchRule(atMost: "≤", times: "×"))"
        )
        guard case .object(var members) = schema else { return schema }
        members["multipleOf"] = .number(2)
        return .object(members)
    }

    static var optimizationRequest: JSONValue {
        func statistic(_ description: String) -> JSONValue { Schema.oneOf(StatisticKey.all.map(\.name), description: description) }
        let members: KeyValuePairs<String, JSONValue> = [
            "backtest": Schema.ref("OptimizationBacktest"),
            "portfolio": Schema.ref("PortfolioRequest"),
            "tickers": Schema.nullable(
                Schema.array(of: Schema.ticker(), minItems: 1, maxItems: OptimizationRequest.maxTickers, description: "The same search on each")
            ),
            "grid": Schema.array(of: Schema.string("KEY=V1,V2,… or KEY=LO..HI:STEP"), description: "The parameters, the first outermost"),
            "constraint": Schema.nullable(Schema.string("Comparisons joined by 'and', e.g. 'fast < slow'")),
            "maximize": Schema.nullable(statistic("A statistic's key; default sqn")),
            "minimize": Schema.nullable(statistic("A statistic's key")),
            "method": Schema.nullable(Schema.oneOf(["grid", "random"], description: "Default grid")),
            "max_tries": Schema.nullable(Schema.integer(minimum: 1, description: "random: combinations to try; default 100")),
            "seed": Schema.nullable(Schema.integer(minimum: 0, description: "random: the generator's seed; default 0")),
            "stats": Schema.nullable(
                Schema.array(of: statistic("A statistic's key"), description: "Statistics per combination; default the objective and trades")
            ),
            "top": Schema.nullable(Schema.integer(minimum: 0, description: "How many of the best to report; default 10")),
            "walk_forward": Schema.nullable(Schema.string("train=N,test=M[,step=K][,anchored] (bars)")),
            "min_trades": Schema.nullable(
                Schema.integer(
                    minimum: 0,
                    maximum: OptimizationRequest.maxMinTrades,
                    description: "The fewest trades a combination needs to be chosen; fewer: counted, never chosen. Default 0"
                )
            ),
            "robustness_blocks": Schema.nullable(robustnessBlocks),
        ]
        let object = Schema.object(
            members,
            optional: [
                "backtest", "portfolio", "tickers", "constraint", "maximize", "minimize", "method", "max_tries", "seed", "stats", "top",
                "walk_forward", "min_trades", "robustness_blocks",
            ],
            description:
                "A parameter search; the fields of `backtest optimize`. Either `backtest` (one strategy on one ticker or `tickers`) or `portfolio` (grid keys lookback, top, every, commission; default objective sharpe_ratio; walk_forward in calendar bars; no tickers)"
        )
        guard case .object(var schema) = object else { return object }
        // Inside allOf, so that client generators keep the members typed (a top-level oneOf
        // turns the body into "anything" for openapi-python-client). Both present match both
        // branches, which oneOf refuses; tickers with a portfolio are refused by the server
        // (listed in .ci/schemathesis.toml's exceptions for this operation).
        schema["allOf"] = [
            [
                "oneOf": [
                    ["title": "StrategySearch", "required": ["backtest"]],
                    ["title": "PortfolioSearch", "required": ["portfolio"]],
                ]
            ]
        ]
        return .object(schema)
    }
}
