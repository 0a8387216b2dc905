import BacktestAPI
import BacktestEngine
import BacktestJSON
import Foundation
import MarketData
import Testing

/// PORTFOLIO.md's reference cases (Fixtures/portfolio, copied from the conformance set):
/// equity per bar, every order, the final holdings and the statistics, each to 1e-9.
struct PortfolioCase {
    let name: String
    let json: [String: Any]
    let request: PortfolioRequest
    let expected: [String: Any]

    static func files() -> [String] {
        let dir = Fixtures.root.appendingPathComponent("portfolio")
        return ((try? FileManager.default.contentsOfDirectory(atPath: dir.path)) ?? []).filter { $0.hasSuffix(".json") }.sorted()
    }

    init(_ file: String) throws {
        name = file
        let data = try Data(contentsOf: Fixtures.root.appendingPathComponent("portfolio").appendingPathComponent(file))
        json = try #require(try JSONSerialization.jsonObject(with: data) as? [String: Any])
        request = try JSONDecoder().decode(
            PortfolioRequest.self,
            from: try JSONSerialization.data(withJSONObject: try #require(json["case"]))
        )
        expected = try #require(json["expected"] as? [String: Any])
    }

    /// The bundled sample bars of each ticker, cut to the case's window.
    func bars() throws -> [Bars] {
        let range = try request.dateRange()
        let store = CSVBarStore(configuration: .init())
        return try request.tickers.map { try store.bars(for: $0, from: range.start, through: range.end).bars }
    }

    func run() throws -> PortfolioResult {
        try PortfolioBacktest(tickers: request.tickers, bars: try bars(), settings: request.settings).run()
    }
}

@Suite("Portfolio conformance (PORTFOLIO.md reference cases)")
struct PortfolioConformanceTests {
    @Test("the bundled data is the data the cases were made from", arguments: PortfolioCase.files())
    func dataMatches(_ file: String) throws {
        let ref = try PortfolioCase(file)
        let hashes = try #require(ref.json["data_sha256"] as? [String: String])
        let dir = try #require(BundledData.sampleDirectory)
        for (ticker, hash) in hashes {
            let bytes = try Data(contentsOf: dir.appendingPathComponent("\(ticker).csv"))
            #expect(ContentHash.hex(of: bytes) == hash, "\(ticker).csv")
        }
    }

    @Test("equity, orders, holdings and statistics match", arguments: PortfolioCase.files())
    func referenceCase(_ file: String) throws {
        let ref = try PortfolioCase(file)
        let result = try ref.run()
        let cash = ref.request.cash
        let dates = try #require(ref.expected["dates"] as? [String])
        #expect(result.dates.map(Timestamp.formatDate) == dates)
        let equity = try #require(ref.expected["equity"] as? [Double])
        try #require(result.equity.count == equity.count)
        for (b, e) in equity.enumerated() {
            #expect(close(result.equity[b], e), "equity[\(b)] \(result.equity[b]) != \(e)")
        }

        let orders = try #require(ref.expected["orders"] as? [[String: Any]])
        try #require(result.orders.count == orders.count, "\(result.orders.count) orders, expected \(orders.count)")
        for (k, (order, want)) in zip(result.orders, orders).enumerated() {
            #expect(Timestamp.formatDate(result.dates[order.bar]) == want["date"] as? String, "order \(k) date")
            #expect(ref.request.tickers[order.ticker] == want["ticker"] as? String, "order \(k) ticker")
            #expect(close(order.size, want["size"]), "order \(k) size \(order.size)")
            #expect(close(order.price, want["price"]), "order \(k) price")
            #expect(closeOrTiny(order.commission, want["commission"], cash: cash), "order \(k) commission")
            #expect(order.partial == (want["partial"] as? Bool), "order \(k) partial")
        }

        let positions = try #require(ref.expected["positions"] as? [String: Double])
        for (i, ticker) in ref.request.tickers.enumerated() {
            #expect(closeOrTiny(result.positions[i], positions[ticker], cash: cash), "position \(ticker)")
        }
        #expect(closeOrTiny(result.cash, ref.expected["cash"], cash: cash), "cash \(result.cash)")

        let decisions = try #require(ref.expected["decisions"] as? [[String: Any]])
        try #require(result.decisions.count == decisions.count)
        for (mine, want) in zip(result.decisions, decisions) {
            #expect(mine.bar == want["bar"] as? Int)
            #expect(mine.executed == want["executed"] as? Bool)
            let weights = try #require(want["weights"] as? [String: Double])
            for (i, ticker) in ref.request.tickers.enumerated() {
                #expect(close(mine.weights[i], weights[ticker] ?? 0), "decision \(mine.bar) \(ticker)")
            }
        }

        let stats = try #require(ref.expected["stats"] as? [String: Any])
        let mine = try #require(try JSONSerialization.jsonObject(with: Data(result.statistics.jsonBytes())) as? [String: Any])
        for (key, value) in stats {
            if let text = value as? String {
                #expect(mine[key] as? String == text, "\(key)")
            } else {
                let actual = (mine[key] as? NSNumber)?.doubleValue ?? .nan
                #expect(close(actual, value), "\(key): \(actual) != \(String(describing: value))")
            }
        }
        for key in try #require(ref.json["not_reported"] as? [String]) {
            #expect(!PortfolioResult.reportedStatistics.contains(key))
        }
    }

    /// PORTFOLIO.md section 9: one ticker, weight 1, `never`, whole units and no commission
    /// is backtesting.py's buy-and-hold that buys in its first `next()` on data starting one
    /// trading day earlier. The single-asset engine (backtesting.py's model) run that way holds
    /// the same units from the same fill, so every equity value after the fill agrees.
    @Test("one ticker held equals the single-asset engine's buy-and-hold", arguments: ["AAPL", "MSFT", "NVDA"])
    func agreesWithSingleAssetEngine(_ ticker: String) throws {
        let all = try CSVBarStore(configuration: .init()).bars(for: ticker, from: nil, through: nil).bars
        let s = all.count / 3
        let e = all.count - 10
        let window = all.slice(from: all.timestamps[s], through: all.timestamps[e])
        let earlier = all.slice(from: all.timestamps[s - 1], through: all.timestamps[e])
        let portfolio = try PortfolioBacktest(
            tickers: [ticker],
            bars: [window],
            settings: PortfolioSettings(allocation: .fixed([ticker: 1]), schedule: .never, cash: 100_000)
        ).run()
        let single = try Backtest(bars: earlier, settings: BacktestSettings(cash: 100_000))
            .run(try StrategyCatalog.make(name: "buy_and_hold", params: [:]))
        try #require(portfolio.orders.count == 1)
        let fill = portfolio.orders[0]
        #expect(fill.bar == 1)
        #expect(fill.price == window.open[1])
        // backtesting.py sizes with (1 - 2^-52) * cash: one unit less only when cash / price
        // is an integer, which these windows avoid.
        #expect(single.openTrades.first.map { Double($0.size) } == fill.size)
        for b in 1..<window.count {
            #expect(close(portfolio.equity[b], single.equity[b + 1]), "bar \(b): \(portfolio.equity[b]) vs \(single.equity[b + 1])")
        }
        #expect(close(portfolio.statistics.equityFinal, single.statistics.equityFinal))
        #expect(close(portfolio.statistics.maxDrawdownPct, single.statistics.maxDrawdownPct))
    }
}

/// Within 1e-9 relative, or within 1e-9 × the initial cash (for values that can be 0 or tiny).
func closeOrTiny(_ actual: Double, _ expected: Any?, cash: Double) -> Bool {
    if close(actual, expected) { return true }
    guard let e = (expected as? NSNumber)?.doubleValue else { return false }
    return abs(actual - e) <= 1e-9 * cash
}
