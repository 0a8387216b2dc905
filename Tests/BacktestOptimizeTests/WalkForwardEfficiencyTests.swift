import BacktestAPI
import BacktestEngine
import Foundation
import Testing

@testable import BacktestOptimize

/// Walk-forward efficiency: out-of-sample over in-sample annualised return, per fold and over
/// the folds (ratio of the means).
struct WalkForwardEfficiencyTests {
    @Test("by hand: each fold's ratio, undefined for an in-sample loss or a non-finite value; the ratio of the means")
    func byHand() {
        #expect(WalkForwardEfficiency.fold(inSample: 20, outOfSample: 10) == 0.5)
        #expect(WalkForwardEfficiency.fold(inSample: 8, outOfSample: -2) == -0.25)
        #expect(WalkForwardEfficiency.fold(inSample: -5, outOfSample: 3) == nil)
        #expect(WalkForwardEfficiency.fold(inSample: 0, outOfSample: 3) == nil)
        #expect(WalkForwardEfficiency.fold(inSample: .nan, outOfSample: 3) == nil)
        #expect(WalkForwardEfficiency.fold(inSample: 10, outOfSample: .infinity) == nil)
        // (10 + 5 + 3) / 3 = 6 over (20 + 10 − 5) / 3 = 25 / 3: 0.72.
        let overall = WalkForwardEfficiency.overall(inSample: [20, 10, -5], outOfSample: [10, 5, 3])
        #expect(abs((overall ?? .nan) - 0.72) < 1e-15)
        // A fold without a finite value is left out of both means: (10 + 5) / 2 over (20 + 10) / 2.
        #expect(WalkForwardEfficiency.overall(inSample: [20, 10, .nan], outOfSample: [10, 5, 3]) == 0.5)
        #expect(WalkForwardEfficiency.overall(inSample: [-20, 10], outOfSample: [10, 5]) == nil, "the mean in-sample return is below 0")
        #expect(WalkForwardEfficiency.overall(inSample: [], outOfSample: []) == nil)
    }

    @Test("a walk-forward analysis of sma_cross on GOOG: each fold's efficiency from its winner run alone on its training window")
    func goog() async throws {
        var request = BacktestRequest(strategy: "sma_cross")
        request.commission = Commission(relative: 0.002)
        let target = try Fixtures.target(request)
        let space = try SearchSpace(
            axes: [try ParameterAxis(parsing: "fast=5..20:5"), try ParameterAxis(parsing: "slow=30..60:10")],
            constraint: "fast < slow"
        )
        let optimizer = Optimizer(space: space, target: target, configuration: .init(objective: try Objective(maximize: "sqn")))
        let spec = try WalkForwardSpec(parsing: "train=500,test=250")
        let report = OptimizationReport(walkForward: try await optimizer.walkForward(spec), optimizer: optimizer, spec: spec)
        let windows = try spec.folds(barCount: target.bars.count)
        #expect(report.folds.count == windows.count && windows.count == 7)

        var inSample: [Double] = []
        var outOfSample: [Double] = []
        for (fold, window) in zip(report.folds, windows) {
            // The fold's winner on its training bars alone, as a plain backtest.
            let timestamps = target.bars.timestamps
            let bars = target.bars.slice(from: timestamps[window.train.lowerBound], through: timestamps[window.train.upperBound - 1])
            let strategy = try StrategyCatalog.make(name: "sma_cross", params: fold.params.dictionary)
            let alone = try Backtest(bars: bars, settings: try request.settings()).run(strategy).statistics.returnAnnPct
            #expect(fold.inSampleReturnAnnPct == alone)
            let oos = fold.stats.returnAnnPct
            inSample.append(alone)
            outOfSample.append(oos)
            if alone > 0 {
                #expect(fold.efficiency == oos / alone)
            } else {
                #expect(fold.efficiency == nil)
            }
        }
        let expected = (outOfSample.reduce(0, +) / Double(outOfSample.count)) / (inSample.reduce(0, +) / Double(inSample.count))
        let got = try #require(report.walkForwardEfficiency)
        #expect(abs(got - expected) <= 1e-12 * abs(expected))

        // On the wire: per fold and the summary, null when undefined.
        let object = try #require(try JSONSerialization.jsonObject(with: JSONEncoder().encode(report)) as? [String: Any])
        #expect(abs(((object["walk_forward_efficiency"] as? Double) ?? .nan) - got) < 1e-12)
        let folds = try #require(object["folds"] as? [[String: Any]])
        #expect(folds.count == 7 && folds.allSatisfy { $0["efficiency"] != nil && $0["in_sample_return_ann_pct"] != nil })
        let decoded = try JSONDecoder().decode(OptimizationReport.self, from: JSONEncoder().encode(report))
        #expect(decoded.walkForwardEfficiency == report.walkForwardEfficiency && decoded.folds.map(\.efficiency) == report.folds.map(\.efficiency))
    }
}
