import BacktestEngine

/// A parameter search as clients send it to `POST /v1/optimizations`: the backtest to vary
/// (a ``BacktestRequest`` with its ticker, dates, strategy, fixed parameters and broker
/// settings), the grid, and what to optimise. The same fields as `backtest optimize`'s flags.
///
/// Unknown keys are rejected, as in every request:
///
/// ```json
/// {"backtest": {"ticker": "GOOG", "strategy": "sma_cross", "commission": 0.002},
///  "grid": ["fast=5..50:5", "slow=10..200:10"], "constraint": "fast < slow",
///  "maximize": "sqn", "stats": ["sqn", "return_pct", "trades"], "top": 10}
/// ```
public struct OptimizationRequest: Sendable, Hashable, Codable {
    /// The backtest each combination runs; grid values override its `params` (and its
    /// `sl_pct`/`tp_pct` when those are on the grid). Unused (and not sent) when the search is
    /// over a ``portfolio``.
    public var backtest: BacktestRequest
    /// A portfolio searched instead of one backtest: grid values set its allocation's
    /// `lookback` and `top`, an every-N-bars schedule's `every`, or its `commission`.
    public var portfolio: PortfolioRequest?
    /// Several tickers searched on the same grid (instead of `backtest.ticker`), ranked by
    /// their mean objective.
    public var tickers: [String]?
    /// The parameters and their values, in order (the first outermost): `KEY=V1,V2,…` or
    /// `KEY=LO..HI:STEP`.
    public var grid: [String]
    /// Comparisons joined by `and`, e.g. `fast < slow`.
    public var constraint: String?
    /// The statistic to maximise (default `sqn`).
    public var maximize: String?
    /// The statistic to minimise (instead of `maximize`).
    public var minimize: String?
    /// `grid` (default) or `random`.
    public var method: String?
    /// With `random`: combinations to try (default 100).
    public var maxTries: Int?
    /// With `random`: the generator's seed (default 0).
    public var seed: UInt64?
    /// Statistics per combination (default: the objective and `trades`).
    public var stats: [String]?
    /// How many of the best combinations to report (default 10).
    public var top: Int?
    /// Walk-forward analysis in bars (a portfolio's: its calendar's):
    /// `train=N,test=M[,step=K][,anchored]`.
    public var walkForward: String?
    /// The fewest trades a combination needs to be chosen (default 0: any run with a trade);
    /// those with fewer are counted and listed, never chosen.
    public var minTrades: Int?
    /// CSCV blocks S of the robustness block: even, from 2 to ``maxRobustnessBlocks``; absent:
    /// the largest even S ≤ 16 whose CSCV fits the search's budget (16 up to 194 combinations).
    public var robustnessBlocks: Int?

    /// Creates a request.
    public init(
        backtest: BacktestRequest,
        tickers: [String]? = nil,
        grid: [String],
        constraint: String? = nil,
        maximize: String? = nil,
        minimize: String? = nil,
        method: String? = nil,
        maxTries: Int? = nil,
        seed: UInt64? = nil,
        stats: [String]? = nil,
        top: Int? = nil,
        walkForward: String? = nil,
        minTrades: Int? = nil,
        portfolio: PortfolioRequest? = nil,
        robustnessBlocks: Int? = nil
    ) {
        self.backtest = backtest
        self.portfolio = portfolio
        self.tickers = tickers
        self.grid = grid
        self.constraint = constraint
        self.maximize = maximize
        self.minimize = minimize
        self.method = method
        self.maxTries = maxTries
        self.seed = seed
        self.stats = stats
        self.top = top
        self.walkForward = walkForward
        self.minTrades = minTrades
        self.robustnessBlocks = robustnessBlocks
    }

    /// The most CSCV blocks a search may ask for (C(16, 8) = 12,870 splits per combination).
    public static let maxRobustnessBlocks = 16

    /// The most tickers one request may search.
    public static let maxTickers = 100

    /// The largest trade floor (`min_trades`) a search takes.
    public static let maxMinTrades = 1_000_000

    enum CodingKeys: String, CodingKey, CaseIterable {
        case backtest, portfolio, tickers, grid, constraint, maximize, minimize, method
        case maxTries = "max_tries"
        case seed, stats, top
        case walkForward = "walk_forward"
        case minTrades = "min_trades"
        case robustnessBlocks = "robustness_blocks"
    }

    /// The keys a request may carry.
    public static let fieldNames: [String] = CodingKeys.allCases.map(\.rawValue)

    public init(from decoder: any Decoder) throws {
        try AnyCodingKey.rejectUnknown(in: decoder, allowed: Self.fieldNames)
        let c = try decoder.container(keyedBy: CodingKeys.self)
        func field<T: Decodable>(_ type: T.Type, _ key: CodingKeys, _ expected: String) throws -> T? {
            do {
                return try c.decodeIfPresent(type, forKey: key)
            } catch let error as BacktestError {
                throw BacktestError(code: error.code, message: "\(key.rawValue).\(error.message)", field: "\(key.rawValue).\(error.field ?? "")")
            } catch {
                throw BacktestError.invalid(key.rawValue, "expected \(expected)")
            }
        }
        let portfolio = try field(PortfolioRequest.self, .portfolio, "a portfolio request object")
        let backtest = try field(BacktestRequest.self, .backtest, "a backtest request object")
        if c.contains(.portfolio), portfolio == nil {
            throw BacktestError.invalid("portfolio", "expected a portfolio request object, not null")
        }
        if portfolio != nil {
            for key in [CodingKeys.backtest, .tickers] where c.contains(key) {
                throw BacktestError.invalid(key.rawValue, "a portfolio search takes 'portfolio' alone (its tickers are the portfolio's)")
            }
        } else if backtest == nil {
            throw BacktestError(code: .missingField, message: "missing required field 'backtest' (or 'portfolio')", field: "backtest")
        }
        self.portfolio = portfolio
        guard let grid = try field([String].self, .grid, "a list of KEY=V1,V2 or KEY=LO..HI:STEP strings") else {
            throw BacktestError(code: .missingField, message: "missing required field 'grid'", field: "grid")
        }
        // A portfolio search's backtest is never run: a placeholder the strategy checks pass.
        self.backtest = backtest ?? BacktestRequest(strategy: "buy_and_hold")
        self.grid = grid
        tickers = try field([String].self, .tickers, "a list of tickers")
        constraint = try field(String.self, .constraint, "a string such as 'fast < slow'")
        maximize = try field(String.self, .maximize, "a statistic's key")
        minimize = try field(String.self, .minimize, "a statistic's key")
        method = try field(String.self, .method, "\"grid\" or \"random\"")
        maxTries = try field(Int.self, .maxTries, "a whole number")
        seed = try field(UInt64.self, .seed, "a whole number from 0 to 2^64-1")
        stats = try field([String].self, .stats, "a list of statistics' keys")
        top = try field(Int.self, .top, "a whole number")
        walkForward = try field(String.self, .walkForward, "a string such as 'train=500,test=100'")
        minTrades = try field(Int.self, .minTrades, "a whole number")
        robustnessBlocks = try field(Int.self, .robustnessBlocks, "a whole number")
    }

    public func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        if let portfolio {
            try c.encode(portfolio, forKey: .portfolio)
        } else {
            try c.encode(backtest, forKey: .backtest)
        }
        try c.encodeIfPresent(tickers, forKey: .tickers)
        try c.encode(grid, forKey: .grid)
        try c.encodeIfPresent(constraint, forKey: .constraint)
        try c.encodeIfPresent(maximize, forKey: .maximize)
        try c.encodeIfPresent(minimize, forKey: .minimize)
        try c.encodeIfPresent(method, forKey: .method)
        try c.encodeIfPresent(maxTries, forKey: .maxTries)
        try c.encodeIfPresent(seed, forKey: .seed)
        try c.encodeIfPresent(stats, forKey: .stats)
        try c.encodeIfPresent(top, forKey: .top)
        try c.encodeIfPresent(walkForward, forKey: .walkForward)
        try c.encodeIfPresent(minTrades, forKey: .minTrades)
        try c.encodeIfPresent(robustnessBlocks, forKey: .robustnessBlocks)
    }

    /// The tickers searched: `tickers`, else `backtest.ticker`, upper-cased.
    public var searchedTickers: [String] {
        (tickers ?? backtest.ticker.map { [$0] } ?? []).map { $0.uppercased() }
    }
}
