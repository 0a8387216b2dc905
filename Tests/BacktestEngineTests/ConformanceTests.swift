import BacktestAPI
import BacktestEngine
import Foundation
import MarketData
import Testing

/// Reference runs of backtesting.py 0.6.6: the five shared cases plus extra ones generated
/// with Tools/conformance/generate_cases.py (SL/TP, spread, trade_on_close, exclusive
/// orders, margin, hedging, monthly and hourly data, bankruptcy, zero trades).
enum Fixtures {
    static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("Fixtures")

    static func caseFiles() -> [String] {
        var names: [String] = []
        for folder in ["cases", "cases-extra"] {
            let dir = root.appendingPathComponent(folder)
            let files = (try? FileManager.default.contentsOfDirectory(atPath: dir.path)) ?? []
            names += files.filter { $0.hasSuffix(".json") }.sorted().map { "\(folder)/\($0)" }
        }
        return names
    }

    static func bars(_ name: String) throws -> Bars {
        try CSVBarsParser.load(path: root.appendingPathComponent("data").appendingPathComponent(name).path)
    }
}

struct ReferenceCase {
    let json: [String: Any]
    let request: BacktestRequest

    init(_ file: String) throws {
        let data = try Data(contentsOf: Fixtures.root.appendingPathComponent(file))
        json = try #require(try JSONSerialization.jsonObject(with: data) as? [String: Any])
        let caseData = try JSONSerialization.data(withJSONObject: try #require(json["case"]))
        request = try JSONDecoder().decode(BacktestRequest.self, from: caseData)
    }
}

func close(_ actual: Double, _ expected: Any?, tolerance: Double = 1e-9) -> Bool {
    let e: Double
    switch expected {
    case nil, is NSNull: return actual.isNaN
    case let s as String: e = s == "Infinity" ? .infinity : s == "-Infinity" ? -.infinity : .nan
    case let n as NSNumber: e = n.doubleValue
    default: return false
    }
    if e.isNaN { return actual.isNaN }
    if e.isInfinite || actual.isInfinite { return e == actual }
    if e == actual { return true }
    return abs(actual - e) <= tolerance * max(abs(e), abs(actual))
}

@Suite("Conformance with backtesting.py 0.6.6")
struct ConformanceTests {
    @Test("reference case", arguments: Fixtures.caseFiles())
    func referenceCase(_ file: String) throws {
        let ref = try ReferenceCase(file)
        let bars = try Fixtures.bars(try #require(ref.request.data))
        let (settings, strategy) = try ref.request.validated()
        let result = try Backtest(bars: bars, settings: settings).run(strategy)

        // Stats, through the wire encoding (keys, NaN as null).
        let encoded = try JSONEncoder().encode(result.statistics)
        let stats = try #require(try JSONSerialization.jsonObject(with: encoded) as? [String: Any])
        let expectedStats = try #require(ref.json["stats"] as? [String: Any])
        #expect(Set(stats.keys) == Set(expectedStats.keys))
        for (key, expected) in expectedStats {
            if let s = expected as? String, key == "start" || key == "end" {
                #expect(stats[key] as? String == s, "\(key)")
                continue
            }
            let actual: Double = (stats[key] as? NSNumber)?.doubleValue ?? .nan
            #expect(close(actual, expected), "stat \(key): got \(actual), expected \(String(describing: expected))")
        }

        // Trades, field by field.
        let expectedTrades = try #require(ref.json["trades"] as? [[String: Any]])
        #expect(result.trades.count == expectedTrades.count, "trade count")
        for (k, (t, e)) in zip(result.trades, expectedTrades).enumerated() {
            #expect(t.size == (e["size"] as? Int), "trade \(k) size")
            #expect(t.entryBar == (e["entry_bar"] as? Int), "trade \(k) entry_bar")
            #expect(t.exitBar == (e["exit_bar"] as? Int), "trade \(k) exit_bar")
            #expect(Timestamp.format(t.entryTime) == (e["entry_time"] as? String), "trade \(k) entry_time")
            #expect(Timestamp.format(t.exitTime) == (e["exit_time"] as? String), "trade \(k) exit_time")
            #expect(close(t.entryPrice, e["entry_price"]), "trade \(k) entry_price \(t.entryPrice)")
            #expect(close(t.exitPrice, e["exit_price"]), "trade \(k) exit_price \(t.exitPrice)")
            #expect(close(t.sl ?? .nan, e["sl"]), "trade \(k) sl \(String(describing: t.sl))")
            #expect(close(t.tp ?? .nan, e["tp"]), "trade \(k) tp \(String(describing: t.tp))")
            #expect(close(t.pnl, e["pnl"]), "trade \(k) pnl \(t.pnl)")
            #expect(close(t.returnPct, e["return_pct"]), "trade \(k) return_pct")
            #expect(close(t.commission, e["commission"]), "trade \(k) commission")
            #expect(close(Double(t.exitTime - t.entryTime) / 86_400, e["duration_days"]), "trade \(k) duration")
        }

        // Equity, every bar.
        let equity = try #require(ref.json["equity"] as? [Any])
        #expect(result.equity.count == equity.count)
        var mismatches = 0
        for (i, (a, e)) in zip(result.equity, equity).enumerated() where !close(a, e) {
            if mismatches < 5 { Issue.record("equity[\(i)] = \(a), expected \(e)") }
            mismatches += 1
        }
        #expect(mismatches == 0)

        // Diagnostics.
        if let diag = ref.json["diagnostics"] as? [String: Any] {
            #expect(result.warmup == (diag["warmup_bars"] as? Int))
            #expect(result.statistics.periodsPerYear == (diag["annual_trading_days"] as? Int))
            if let cancelled = diag["broker_canceled_orders"] as? Int {
                #expect(result.cancelledOrders == cancelled)
            }
        }
        if let open = ref.json["open_trades_at_end"] as? [[String: Any]], !ref.request.finalizeTrades {
            #expect(result.openTrades.count == open.count)
            for (t, e) in zip(result.openTrades, open) {
                #expect(t.size == (e["size"] as? Int))
                #expect(t.entryBar == (e["entry_bar"] as? Int))
                #expect(close(t.entryPrice, e["entry_price"]))
            }
        }
    }
}
