import Foundation
import Testing

@testable import BacktestResearch

/// What the search page's robustness charts draw: the histogram of every split's logit and a
/// sample of the splits' Sharpe ratios.
struct ChartDataTests {
    @Test("the logit histogram by hand: right-closed bins of 0.25 from the multiple just below the smallest")
    func histogramByHand() {
        let histogram = LogitHistogram([-0.3, 0, 0.1, 0.25, 0.26, .nan])
        #expect(histogram.lower == -0.5 && histogram.width == 0.25)
        // (−0.5, −0.25]: −0.3; (−0.25, 0]: 0; (0, 0.25]: 0.1, 0.25; (0.25, 0.5]: 0.26.
        #expect(histogram.counts == [1, 1, 2, 1])
        #expect(histogram.atOrBelowZero == 2)
        // The smallest on an edge opens the bin below it.
        let edge = LogitHistogram([-0.5, 0.75], width: 0.25)
        #expect(edge.lower == -0.75 && edge.counts == [1, 0, 0, 0, 0, 1])
        #expect(LogitHistogram([]).counts.isEmpty)
    }

    @Test("on the seeded 2,520 x 120 matrix: the bins hold every split and those at or below 0 are PBO's; every 13th split's Sharpe ratios")
    func seededMatrix() throws {
        let columns = SyntheticReturns.columns(periods: 2520, trials: 120, seed: 2026)
        var statistics = TrialBlockStatistics(layout: try BlockLayout(periods: 2520, blocks: 16))
        for column in columns { try statistics.append(returns: column) }
        let report = try RobustnessReport(statistics, bestMoments: SampleMoments(columns[statistics.bestTrial]), concurrency: 2)
        let summary = RobustnessSummary(report, bestTrial: "t")
        let histogram = try #require(summary.logitHistogram)
        #expect(histogram.counts.reduce(0, +) == 12_870)
        #expect(Double(histogram.atOrBelowZero) / 12_870 == summary.pbo)
        let estimate = report.crossValidation
        #expect(histogram.lower < estimate.logits.min() ?? 0)
        #expect(histogram.lower + Double(histogram.counts.count) * histogram.width >= estimate.logits.max() ?? 0)

        let sample = try #require(summary.splitSample)
        #expect(sample.step == 13 && sample.inSampleSharpe.count == 990 && sample.outOfSampleSharpe.count == 990)
        for (k, split) in stride(from: 0, to: 12_870, by: 13).enumerated() {
            #expect(abs(sample.inSampleSharpe[k] - estimate.inSampleSharpe[split]) <= 5e-6 * abs(estimate.inSampleSharpe[split]))
            #expect(abs(sample.outOfSampleSharpe[k] - estimate.outOfSampleSharpe[split]) <= 5e-6 * abs(estimate.outOfSampleSharpe[split]))
            #expect(String(format: "%.6g", sample.inSampleSharpe[k]) == String(format: "%.6g", estimate.inSampleSharpe[split]))
        }

        // On the wire, and back.
        let data = try JSONEncoder().encode(summary)
        let object = try #require(try JSONSerialization.jsonObject(with: data) as? [String: Any])
        let wire = try #require(object["logit_histogram"] as? [String: Any])
        #expect(wire["counts"] as? [Int] == histogram.counts)
        let points = try #require(object["split_sample"] as? [String: Any])
        #expect((points["in_sample_sharpe"] as? [Double])?.count == 990 && points["step"] as? Int == 13)
        #expect(try JSONDecoder().decode(RobustnessSummary.self, from: data) == summary)
    }

    @Test("fewer splits than the cap: every one, step 1")
    func smallSample() {
        let sample = SplitSample(inSample: [0.1234567, 0.2], outOfSample: [-0.05, 0.3])
        #expect(sample.step == 1 && sample.inSampleSharpe == [0.123457, 0.2] && sample.outOfSampleSharpe == [-0.05, 0.3])
    }
}
