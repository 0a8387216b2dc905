import Testing

@testable import BacktestEngine

/// `Statistics.dataPeriod` is the median gap of the last 100 timestamps, whatever order its
/// insertion sort meets the gaps in.
@Suite struct DataPeriodTests {
    static func reference(_ t: [Int64]) -> Double {
        let tail = Array(t.suffix(100))
        guard tail.count >= 2 else { return .nan }
        let gaps = zip(tail.dropFirst(), tail).map { $0 - $1 }.sorted()
        let c = gaps.count
        return c % 2 == 1 ? Double(gaps[c / 2]) : (Double(gaps[c / 2 - 1]) + Double(gaps[c / 2])) / 2
    }

    @Test func medianOfTheLastGaps() {
        var random = SplitMix64(seed: 99)
        for count in [0, 1, 2, 3, 4, 20, 21, 99, 100, 101, 250] {
            for _ in 0..<40 {
                var t: [Int64] = []
                var now: Int64 = 1_000_000
                for _ in 0..<count {
                    now += [60, 3_600, 86_400, 3 * 86_400, Int64.random(in: 1...400_000, using: &random)].randomElement(using: &random) ?? 1
                    t.append(now)
                }
                let read = Statistics.dataPeriod(t)
                let expected = Self.reference(t)
                #expect(read == expected || (read.isNaN && expected.isNaN), "\(t)")
            }
        }
        #expect(Statistics.dataPeriod([0, 86_400, 172_800, 259_200 + 3 * 86_400]) == 86_400)
    }
}
