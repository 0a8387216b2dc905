import BacktestAPI
import BacktestEngine
import Foundation
import Testing

@testable import BacktestReport

@Suite("Portfolio report page")
struct PortfolioPageTests {
    static let day: Int64 = 86_400
    static let start: Int64 = 1_577_836_800  // 2020-01-01

    /// Bars on days `from..<to` of the window, open = close = `price(day)`.
    static func bars(_ days: Range<Int>, _ price: (Int) -> Double) throws -> Bars {
        let closes = days.map(price)
        return try Bars(timestamps: days.map { start + Int64($0) * day }, open: closes, high: closes, low: closes, close: closes)
    }

    static func object(_ json: String) throws -> [String: Any] {
        try #require(try JSONSerialization.jsonObject(with: Data(json.utf8)) as? [String: Any])
    }

    @Test("a ticker's contribution is its fills' cash flows plus its final holding at its last close, over the starting cash")
    func contributionByHand() throws {
        // A trades from day 0 (10, 10, 12, 12, 15); B only from day 2 (20, 20, 25). Buy and hold:
        // on day 0 only A has a bar, so A gets weight 1: 100 units at day 1's open of 10.
        let a = try Self.bars(0..<5) { [10, 10, 12, 12, 15][$0] }
        let b = try Self.bars(2..<5) { [0, 0, 20, 20, 25][$0] }
        let result = try PortfolioBacktest(
            tickers: ["A", "B"],
            bars: [a, b],
            settings: PortfolioSettings(allocation: .equal, schedule: .never, cash: 1_000)
        )
        .run(recordWeights: true)
        let page = PortfolioPage(title: "t", result: result, bars: [a, b], cash: 1_000)
        let contributions = page.contributions()
        #expect(contributions.map(\.ticker) == ["A", "B"])
        #expect(
            contributions[0].pnl == 500 && contributions[0].returnPct == 50 && contributions[0].position == 100 && contributions[0].lastClose == 15
        )
        #expect(contributions[1].pnl == 0 && contributions[1].returnPct == 0)
        #expect(
            page.coverage() == [
                PortfolioPage.Span(ticker: "B", first: Self.start + 2 * Self.day, last: Self.start + 4 * Self.day, startsLate: true, endsEarly: false)
            ]
        )
    }

    @Test(
        "the data carries the run: calendar, equity, weights, contributions adding up to the return, orders, late and early tickers, the portfolio's statistics"
    )
    func data() throws {
        // 120 days; B from day 20 to day 89 (starts late and ends early); monthly with commission.
        let a = try Self.bars(0..<120) { 50 + 10 * sin(Double($0) / 9) + Double($0) / 10 }
        let b = try Self.bars(20..<90) { 30 + 5 * cos(Double($0) / 7) }
        let c = try Self.bars(0..<120) { 80 - Double($0) / 5 }
        let settings = PortfolioSettings(allocation: .equal, schedule: .monthly, cash: 10_000, commission: 0.002)
        let result = try PortfolioBacktest(tickers: ["A", "B", "C"], bars: [a, b, c], settings: settings).run(recordWeights: true)
        let page = PortfolioPage(title: "three <b> tickers", subtitle: "s", result: result, bars: [a, b, c], cash: 10_000)
        let data = try Self.object(page.data())
        #expect(data["kind"] as? String == "portfolio")
        #expect(data["tickers"] as? [String] == ["A", "B", "C"])
        #expect((data["time"] as? [Int])?.count == 120 && (data["equity"] as? [Double])?.count == 120)
        let weights = try #require(data["weights"] as? [[Double]])
        #expect(weights.count == 120 && weights.allSatisfy { $0.count == 3 })
        #expect(weights.allSatisfy { row in row.allSatisfy { $0 >= 0 } && row.reduce(0, +) <= 1 + 1e-9 })
        #expect(weights[0] == [0, 0, 0] && weights[1][0] > 0.45 && weights[1][1] == 0 && weights[1][2] > 0.45 && weights[40][1] > 0.25)

        let contributions = try #require(data["contributions"] as? [[String: Any]])
        let pnl = contributions.compactMap { $0["pnl"] as? Double }
        let total = try #require(result.equity.last) - 10_000
        #expect(pnl.count == 3 && abs(pnl.reduce(0, +) - total) <= 1e-6 * max(1, abs(total)))
        let percent = contributions.compactMap { $0["return_pct"] as? Double }.reduce(0, +)
        #expect(abs(percent - result.statistics.returnPct) <= 1e-9 * max(1, abs(percent)))

        let orders = try #require(data["orders"] as? [[String: Any]])
        #expect(orders.count == result.orders.count && orders.count > 3)
        #expect(Set(orders.compactMap { $0["ticker"] as? String }) == ["A", "B", "C"])
        #expect(orders.allSatisfy { $0["time"] is Int && $0["size"] is Double && $0["price"] is Double && $0["partial"] is Bool })

        let coverage = try #require(data["coverage"] as? [[String: Any]])
        #expect(coverage.count == 1 && coverage[0]["ticker"] as? String == "B")
        #expect(coverage[0]["starts_late"] as? Bool == true && coverage[0]["ends_early"] as? Bool == true)
        #expect(coverage[0]["last"] as? Int == Int(Self.start + 89 * Self.day))

        let stats = try #require(data["stats"] as? [String: Any])
        #expect(Set(stats.keys) == PortfolioResult.reportedStatistics)

        let html = try page.html()
        #expect(!html.contains(HTMLReport.placeholder) && html.contains("three \\u003cb> tickers"))
        #expect(html.contains("http-equiv=\"Content-Security-Policy\"") && !html.contains("'unsafe-inline'"))
        #expect(html.contains("\"kind\":\"portfolio\""))
    }

    @Test("the title names the allocation, the tickers and the schedule")
    func title() throws {
        let request = PortfolioRequest(tickers: ["AAPL", "MSFT"], allocation: .momentum(lookback: 60, top: 1), schedule: .weekly)
        #expect(PortfolioPage.title(request) == "momentum (lookback 60, top 1) of AAPL, MSFT, rebalanced weekly")
    }
}
