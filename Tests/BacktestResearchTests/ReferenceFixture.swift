import Foundation

/// The values of `Tools/robustness/reference.py` (an independent Python implementation),
/// committed as `Fixtures/reference.json`.
struct ReferenceFixture: Decodable {
    struct Line: Decodable {
        var slope: Double
        var intercept: Double
    }

    struct Case: Decodable {
        var name: String
        var trials: Int
        var periods: Int
        var blocks: Int
        var combinations: Int
        var best_trial: Int
        var sharpe: Double
        var sharpe_std: Double
        var expected_max_sharpe: Double
        var psr: Double?
        var dsr: Double?
        var pbo: Double
        var prob_oos_loss: Double
        var degradation: Line
        /// The first splits' values (all of them for the small cases).
        var logits: [Double]
        var selected: [Int]
        var in_sample_sharpe: [Double]
        var out_of_sample_sharpe: [Double]
        /// Trial-major; absent for the seeded case, generated with `SyntheticReturns`.
        var returns: [[Double]]?
        var seed: UInt64?
        var checksum: Checksum?
    }

    struct Checksum: Decodable {
        var sum: Double
        var first: Double
        var last: Double
    }

    struct Percentiles: Decodable {
        var p5: Double
        var p50: Double
        var p95: Double
    }

    struct Bootstrap: Decodable {
        var trade_returns: [Double]
        var samples: Int
        var seed: UInt64
        var total_return: Percentiles
        var max_drawdown: Percentiles
    }

    struct Quantile: Decodable {
        var p: Double
        var x: Double
    }

    struct ExpectedMaximum: Decodable {
        var trials: Int
        var value: Double
    }

    var cases: [Case]
    var bootstrap: [Bootstrap]
    var quantiles: [Quantile]
    var expected_maximum: [ExpectedMaximum]

    static let url = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("Fixtures/reference.json")

    static let shared: ReferenceFixture = {
        do {
            return try JSONDecoder().decode(ReferenceFixture.self, from: Data(contentsOf: url))
        } catch {
            fatalError("cannot read \(url.path): \(error)")
        }
    }()

    static func `case`(_ name: String) -> Case? { shared.cases.first { $0.name == name } }
}

/// `actual` within 1e-9 of `expected` (relative above 1).
func close(_ actual: Double?, _ expected: Double?, tolerance: Double = 1e-9) -> Bool {
    switch (actual, expected) {
    case (nil, nil): return true
    case (let a?, let e?): return abs(a - e) <= tolerance * max(1, abs(e))
    default: return false
    }
}
