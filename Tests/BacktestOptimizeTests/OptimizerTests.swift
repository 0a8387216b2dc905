import BacktestAPI
import BacktestEngine
import Foundation
import MarketData
import Testing

@testable import BacktestOptimize

/// The reference data of the engine's conformance suite.
enum Fixtures {
    static let engine = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("BacktestEngineTests/Fixtures")

    static func goog() throws -> Bars {
        try CSVBarsParser.load(path: engine.appendingPathComponent("data/GOOG.csv").path)
    }

    static func target(_ request: BacktestRequest) throws -> StrategyTarget {
        try StrategyTarget(bars: try goog(), request: request)
    }
}

/// A target whose statistics are a function of the parameters, to test the choice alone.
struct TableTarget: OptimizationTarget {
    var parameterNames = ["x", "y"]
    /// (sqn, trades) per x.
    var table: [Double: (Double, Int)]

    func check(_ parameters: [String: ParameterValue]) throws(BacktestError) {}

    func run(_ parameters: [String: ParameterValue], cache: IndicatorCache?) throws(BacktestError) -> Statistics {
        guard case .number(let x)? = parameters["x"], let (sqn, trades) = table[x] else {
            throw BacktestError(code: .invalidParameter, message: "no such x", field: "x")
        }
        var statistics = Statistics()
        statistics.sqn = sqn
        statistics.trades = trades
        return statistics
    }
}

@Suite("the optimizer")
struct OptimizerTests {
    static let sqn = try! Objective(maximize: "sqn")

    func optimizer(_ target: TableTarget, _ grid: [String], objective: Objective = OptimizerTests.sqn, top: Int = 10) throws -> Optimizer<TableTarget>
    {
        Optimizer(
            space: try SearchSpace(axes: grid.map { try ParameterAxis(parsing: $0) }),
            target: target,
            configuration: .init(objective: objective, topCount: top, concurrency: 2, chunkSize: 2)
        )
    }

    @Test("ties go to the first combination; runs without trades and NaN values are never chosen")
    func choice() async throws {
        let target = TableTarget(table: [1: (2, 5), 2: (3, 5), 3: (3, 7), 4: (9, 0), 5: (.nan, 4), 6: (1, 3)])
        let result = try await optimizer(target, ["x=1..6:1", "y=0"]).run()
        #expect(result.best.parameters.map(\.value) == [.number(2), .number(0)])
        #expect(result.top.map { $0.parameters[0].value } == [2, 3, 1, 6].map { .number($0) })
        #expect(result.withoutTrades == 1)
        #expect(result.evaluated == 6)
        let minimum = try await optimizer(target, ["x=1..6:1", "y=0"], objective: try Objective(minimize: "sqn")).run()
        #expect(minimum.best.parameters[0].value == .number(6))
    }

    @Test("when nothing trades, the first combination is the best (as backtesting.py)")
    func nothingTrades() async throws {
        let target = TableTarget(table: [1: (2, 0), 2: (3, 0)])
        let result = try await optimizer(target, ["x=2,1", "y=0"]).run()
        #expect(result.best.parameters[0].value == .number(2))
        #expect(result.best.objective == nil)
        #expect(result.top.isEmpty)
    }

    @Test("rows arrive in run order, with the objective NaN for runs without trades")
    func rows() async throws {
        let target = TableTarget(table: [1: (2, 5), 2: (3, 0), 3: (4, 1)])
        let collected = LockedRows()
        _ = try await optimizer(target, ["x=1..3:1", "y=0,1,2"]).run(rows: { collected.append($0) })
        let rows = collected.rows
        #expect(rows.map(\.sequence) == Array(0..<9))
        #expect(rows.map { $0.values[0] } == [1, 1, 1, 2, 2, 2, 3, 3, 3].map { .number($0) })
        #expect(rows[3].statistics[0].isNaN && rows[3].statistics[1] == 0)
        #expect(rows[0].statistics == [2, 5])
    }

    @Test("random: reproducible, distinct, at most the admissible count")
    func random() throws {
        let space = try SearchSpace(
            axes: [try ParameterAxis(parsing: "fast=5..50:5"), try ParameterAxis(parsing: "slow=10..200:10")],
            constraint: "fast < slow"
        )
        let target = try Fixtures.target(BacktestRequest(strategy: "sma_cross"))
        func plan(_ tries: Int, _ seed: UInt64) throws -> [Int] {
            try Optimizer(space: space, target: target, configuration: .init(method: .random(maxTries: tries, seed: seed), objective: Self.sqn))
                .plan().order
        }
        let a = try plan(40, 7)
        #expect(a == (try plan(40, 7)))
        #expect(a != (try plan(40, 8)))
        #expect(Set(a).count == 40)
        let all = try plan(10_000, 1)
        #expect(all.count == 175 && Set(all).count == 175)
        #expect(Set(all) == Set(space.admissible()))
    }

    @Test("the plan refuses unknown parameters, an empty grid and combinations the strategy refuses")
    func planErrors() throws {
        let target = try Fixtures.target(BacktestRequest(strategy: "sma_cross"))
        func plan(_ grid: [String], _ constraint: String? = nil) throws -> OptimizeError? {
            do {
                _ = try Optimizer(
                    space: try SearchSpace(axes: grid.map { try ParameterAxis(parsing: $0) }, constraint: constraint),
                    target: target,
                    configuration: .init(objective: Self.sqn)
                ).plan()
                return nil
            } catch let error as OptimizeError {
                return error
            }
        }
        #expect(try plan(["speed=1,2"])?.code == .unknownParameter)
        #expect(try plan(["fast=5,10", "slow=1,2"], "fast < slow")?.code == .emptyGrid)
        let refused = try plan(["fast=5,10", "slow=10,20"])
        #expect(refused?.code == .invalidCombination)
        #expect(refused?.message.contains("fast=10, slow=10") == true, "\(String(describing: refused))")
        #expect(refused?.message.contains("--constraint") == true)
        #expect(try plan(["fast=5", "slow=20", "sl_pct=0,0.5"])?.code == .invalidCombination)
    }

    @Test("the best run's statistics are those of a plain run with its parameters")
    func bestIsAPlainRun() async throws {
        var request = BacktestRequest(strategy: "sma_cross")
        request.commission = Commission(relative: 0.002)
        let target = try Fixtures.target(request)
        let optimizer = Optimizer(
            space: try SearchSpace(axes: [try ParameterAxis(parsing: "fast=5..20:5"), try ParameterAxis(parsing: "slow=30,40")]),
            target: target,
            configuration: .init(objective: try Objective(maximize: "return_pct"))
        )
        let result = try await optimizer.run()
        var plain = request
        for (name, value) in result.best.parameters { plain.params[name] = value }
        let (settings, strategy) = try plain.validated()
        let reference = try Backtest(bars: try Fixtures.goog(), settings: settings).run(strategy).statistics
        #expect(Self.same(result.best.statistics, reference))
    }

    @Test("a shared indicator cache changes no result, and stays bounded")
    func indicatorCache() throws {
        let bars = try Fixtures.goog()
        let backtest = Backtest(bars: bars, settings: BacktestSettings(commission: Commission(relative: 0.002)))
        let cache = IndicatorCache(capacity: 3)
        for (fast, slow) in [(5, 20), (10, 20), (5, 30), (20, 40), (5, 20)] {
            for name in ["sma_cross", "sma_cross_reverse"] {
                let strategy = try StrategyCatalog.make(name: name, params: ["fast": .number(Double(fast)), "slow": .number(Double(slow))])
                let shared = try backtest.run(strategy, cache: cache)
                let alone = try backtest.run(strategy)
                #expect(Self.same(shared.statistics, alone.statistics), "\(name) \(fast)/\(slow)")
                #expect(shared.equity.map(\.bitPattern) == alone.equity.map(\.bitPattern))
                #expect(shared.trades.count == alone.trades.count)
            }
        }
        #expect(cache.count <= 3)
    }

    /// Every statistic equal, bit for bit (NaN equals NaN).
    static func same(_ a: Statistics, _ b: Statistics) -> Bool {
        a.start == b.start && a.end == b.end
            && StatisticKey.all.allSatisfy { $0.value(in: a).bitPattern == $0.value(in: b).bitPattern }
    }
}

final class LockedRows: @unchecked Sendable {
    private let lock = NSLock()
    private var stored: [HeatmapRow] = []
    func append(_ rows: [HeatmapRow]) { lock.withLock { stored += rows } }
    var rows: [HeatmapRow] { lock.withLock { stored } }
}

@Suite("walk-forward")
struct WalkForwardTests {
    @Test("folds roll or anchor, step defaults to test, the last test window may be short")
    func folds() throws {
        let rolling = try WalkForwardSpec(parsing: "train=100,test=50").folds(barCount: 260)
        #expect(rolling.map(\.train) == [0..<100, 50..<150, 100..<200, 150..<250])
        #expect(rolling.map(\.test) == [100..<150, 150..<200, 200..<250, 250..<260])
        let anchored = try WalkForwardSpec(parsing: "train=100, test=50, step=60, anchored").folds(barCount: 260)
        #expect(anchored.map(\.train) == [0..<100, 0..<160, 0..<220])
        #expect(anchored.map(\.test) == [100..<150, 160..<210, 220..<260])
    }

    @Test(
        "bad specifications are refused, naming what is wrong",
        arguments: [
            ("train=100", "needs train=N and test=M"), ("train=100,test=1", "test must be at least 2"),
            ("train=100,test=50,step=10", "may not overlap"), ("train=x,test=5", "not a whole number"),
            ("train=10,test=5,window=3", "'window=3'"), ("train=10,train=20,test=5", "given twice"),
        ]
    )
    func badSpecs(text: String, message: String) {
        do {
            _ = try WalkForwardSpec(parsing: text)
            Issue.record("'\(text)' was accepted")
        } catch {
            #expect(error.code == .invalidWalkForward)
            #expect(error.message.contains(message), "\(error.message)")
        }
    }

    @Test("too little data for one fold is an error")
    func tooShort() throws {
        #expect(throws: OptimizeError.self) { try WalkForwardSpec(parsing: "train=500,test=100").folds(barCount: 501) }
    }

    @Test("each fold's winner is the training window's optimum; the stitched curve chains the test runs")
    func walkForward() async throws {
        var request = BacktestRequest(strategy: "sma_cross")
        request.commission = Commission(relative: 0.002)
        let target = try Fixtures.target(request)
        let space = try SearchSpace(
            axes: [try ParameterAxis(parsing: "fast=5..20:5"), try ParameterAxis(parsing: "slow=30..60:10")],
            constraint: "fast < slow"
        )
        let optimizer = Optimizer(space: space, target: target, configuration: .init(objective: try Objective(maximize: "return_pct")))
        let spec = try WalkForwardSpec(parsing: "train=600,test=400")
        let result = try await optimizer.walkForward(spec)
        let windows = try spec.folds(barCount: target.bars.count)
        #expect(result.folds.count == windows.count)
        var expectedEquity: [Double] = []
        var scale = 1.0
        for (fold, window) in zip(result.folds, windows) {
            // The in-sample winner is what a search on the training window alone finds.
            let alone = try await Optimizer(space: space, target: try target.restricted(to: window.train), configuration: optimizer.configuration)
                .run()
            #expect(fold.best.parameters.map(\.value) == alone.best.parameters.map(\.value))
            // The out-of-sample run trades only inside the test window, indicators warm.
            let parameters = Dictionary(uniqueKeysWithValues: fold.best.parameters.map { ($0.name, $0.value) })
            let warm = try target.restricted(to: window.train.lowerBound..<window.test.upperBound).result(
                parameters,
                firstTradingBar: window.train.count
            )
            #expect(warm.equity[..<window.train.count].allSatisfy { $0 == request.cash })
            #expect(warm.trades.allSatisfy { $0.entryBar >= window.train.count })
            let test = Array(warm.equity[window.train.count...])
            expectedEquity += test.map { $0 * scale }
            scale *= (test.last ?? request.cash) / request.cash
        }
        #expect(result.equity == expectedEquity)
        #expect(result.statistics.equityFinal == expectedEquity.last)
        #expect(result.statistics.trades == result.folds.reduce(0) { $0 + $1.outOfSample.trades })
    }
}
