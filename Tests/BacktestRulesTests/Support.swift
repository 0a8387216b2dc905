import BacktestEngine
import Foundation
import Testing

@testable import BacktestRules

/// Paths relative to this file: the examples and the engine's conformance data.
enum Paths {
    static let tests = URL(fileURLWithPath: #filePath).resolvingSymlinksInPath().deletingLastPathComponent()
    static let root = tests.deletingLastPathComponent().deletingLastPathComponent()
    static let examples = root.appendingPathComponent("Examples/rules")
    static let data = root.appendingPathComponent("Tests/BacktestEngineTests/Fixtures/data")

    static let exampleNames = ["sma_cross", "sma_cross_reverse", "rsi_reversion", "bollinger", "macd_cross", "donchian"]

    static func example(_ name: String) throws -> String {
        try String(contentsOf: examples.appendingPathComponent("\(name).rules"), encoding: .utf8)
    }
}

/// The conformance CSV files (backtesting.py's layout: `,Open,High,Low,Close,Volume`),
/// loaded once.
enum TestData {
    static let goog = load("GOOG.csv")
    static let eurusd = load("EURUSD.csv")
    static let btcusd = load("BTCUSD.csv")

    static func load(_ name: String) -> Bars {
        let url = Paths.data.appendingPathComponent(name)
        guard let text = try? String(contentsOf: url, encoding: .utf8) else { fatalError("cannot read \(url.path)") }
        var t: [Int64] = []
        var o: [Double] = []
        var h: [Double] = []
        var l: [Double] = []
        var c: [Double] = []
        var v: [Double] = []
        for line in text.split(separator: "\n").dropFirst() where !line.isEmpty {
            let f = line.split(separator: ",", omittingEmptySubsequences: false)
            guard f.count >= 6, let ts = Timestamp.parse(f[0]) else { fatalError("bad line \(line)") }
            t.append(ts)
            o.append(Double(f[1])!)
            h.append(Double(f[2])!)
            l.append(Double(f[3])!)
            c.append(Double(f[4].trimmingCharacters(in: .whitespaces))!)
            v.append(Double(f[5].trimmingCharacters(in: .whitespacesAndNewlines)) ?? .nan)
        }
        do {
            return try Bars(timestamps: t, open: o, high: h, low: l, close: c, volume: v)
        } catch {
            fatalError("\(name): \(error)")
        }
    }
}

/// Bit-for-bit comparison of two results: trades, open trades, equity, every statistic.
func sameBits(_ a: Double?, _ b: Double?) -> Bool {
    switch (a, b) {
    case (nil, nil): return true
    case (let x?, let y?): return x.bitPattern == y.bitPattern
    default: return false
    }
}

func expectIdentical(_ a: BacktestResult, _ b: BacktestResult, _ label: String, sourceLocation: SourceLocation = #_sourceLocation) {
    #expect(a.warmup == b.warmup, "\(label): warmup \(a.warmup) vs \(b.warmup)", sourceLocation: sourceLocation)
    #expect(a.cancelledOrders == b.cancelledOrders, "\(label): cancelled orders", sourceLocation: sourceLocation)
    #expect(a.trades.count == b.trades.count, "\(label): \(a.trades.count) trades vs \(b.trades.count)", sourceLocation: sourceLocation)
    for (k, (x, y)) in zip(a.trades, b.trades).enumerated() {
        let same =
            x.size == y.size && x.entryBar == y.entryBar && x.exitBar == y.exitBar && sameBits(x.entryPrice, y.entryPrice)
            && sameBits(x.exitPrice, y.exitPrice) && sameBits(x.sl, y.sl) && sameBits(x.tp, y.tp) && sameBits(x.pnl, y.pnl)
            && sameBits(x.returnPct, y.returnPct) && sameBits(x.commission, y.commission) && x.entryTime == y.entryTime
            && x.exitTime == y.exitTime
        #expect(same, "\(label): trade \(k) differs: \(x) vs \(y)", sourceLocation: sourceLocation)
        if !same { break }
    }
    #expect(a.openTrades == b.openTrades, "\(label): open trades", sourceLocation: sourceLocation)
    #expect(a.equity.count == b.equity.count, sourceLocation: sourceLocation)
    let firstDifference = zip(a.equity, b.equity).enumerated().first { !sameBits($0.element.0, $0.element.1) }
    #expect(firstDifference == nil, "\(label): equity differs at bar \(firstDifference?.offset ?? -1)", sourceLocation: sourceLocation)
    let statsA = Mirror(reflecting: a.statistics).children.map { ($0.label ?? "?", $0.value) }
    let statsB = Mirror(reflecting: b.statistics).children.map { ($0.label ?? "?", $0.value) }
    #expect(statsA.count == statsB.count && statsA.count > 30, sourceLocation: sourceLocation)
    for ((name, x), (_, y)) in zip(statsA, statsB) {
        let same: Bool
        switch (x, y) {
        case (let p as Double, let q as Double): same = p.bitPattern == q.bitPattern
        case (let p as Int, let q as Int): same = p == q
        case (let p as Int64, let q as Int64): same = p == q
        default: same = String(describing: x) == String(describing: y)
        }
        #expect(same, "\(label): statistic \(name): \(x) vs \(y)", sourceLocation: sourceLocation)
    }
}

/// Compiles or records the error and fails.
func compile(_ source: String, limits: RulesLimits = RulesLimits(), sourceLocation: SourceLocation = #_sourceLocation) throws -> RulesProgram {
    do {
        return try RulesProgram.compile(source, limits: limits)
    } catch {
        Issue.record("compile failed: \(error)", sourceLocation: sourceLocation)
        throw error
    }
}

/// The error `source` fails to compile with, or nil.
func compileError(_ source: String, limits: RulesLimits = RulesLimits()) -> RulesError? {
    do {
        _ = try RulesProgram.compile(source, limits: limits)
        return nil
    } catch {
        return error
    }
}
