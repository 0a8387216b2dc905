import Foundation

/// Some CSCV splits' in-sample and out-of-sample Sharpe ratios of n\*, for the page's scatter:
/// every ``step``-th split in combination order from the first, at most ``maxPoints`` of them
/// (C(16, 8) = 12,870 splits give every 13th: 990), each value rounded to 6 significant
/// digits. The degradation line is fitted to every split, not to these.
public struct SplitSample: Sendable, Equatable, Codable {
    /// The most splits kept.
    public static let maxPoints = 1000

    /// Splits 0, step, 2·step, … are kept.
    public var step: Int
    /// n\*'s in-sample Sharpe ratio in each kept split.
    public var inSampleSharpe: [Double]
    /// Its out-of-sample Sharpe ratio there.
    public var outOfSampleSharpe: [Double]

    private enum CodingKeys: String, CodingKey {
        case step
        case inSampleSharpe = "in_sample_sharpe"
        case outOfSampleSharpe = "out_of_sample_sharpe"
    }

    /// Every `step`-th pair, `step` = ⌈count / ``maxPoints``⌉.
    public init(inSample: [Double], outOfSample: [Double]) {
        let count = min(inSample.count, outOfSample.count)
        step = max(1, (count + Self.maxPoints - 1) / Self.maxPoints)
        let kept = stride(from: 0, to: count, by: step)
        inSampleSharpe = kept.map { Self.rounded(inSample[$0]) }
        outOfSampleSharpe = kept.map { Self.rounded(outOfSample[$0]) }
    }

    /// `value` to 6 significant digits (as `%.6g` prints it).
    static func rounded(_ value: Double) -> Double {
        guard value.isFinite else { return value }
        return Double(String(format: "%.6g", value)) ?? value
    }
}
