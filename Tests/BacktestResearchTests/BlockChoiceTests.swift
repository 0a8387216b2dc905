import CReturnSums
import Testing

@testable import BacktestResearch

@Suite("a search's block count and the one-pass block statistics")
struct BlockChoiceTests {
    @Test(arguments: [
        (2, 16), (175, 16), (194, 16), (195, 14), (728, 14), (729, 12), (1_000, 12), (2_705, 12), (2_706, 10), (9_920, 10),
        (9_921, 8), (10_000, 8), (20_000, 8), (35_714, 8), (35_715, 6), (125_000, 6), (125_001, 4), (10_000_000, 4),
    ])
    func theLargestEvenCountWithinTheBudget(_ trials: Int, _ blocks: Int) {
        #expect(BlockLayout.searchBlocks(trials: trials) == blocks)
        let layout = try? BlockLayout(periods: 1_000, blocks: blocks)
        #expect((layout?.combinations ?? 0) * trials <= BlockLayout.searchBudget || blocks == BlockLayout.minimumSearchBlocks)
    }

    @Test func fewPeriodsLimitTheBlocks() {
        #expect(BlockLayout.searchBlocks(trials: 100, periods: 20) == 10)
        #expect(BlockLayout.searchBlocks(trials: 100, periods: 21) == 10)
        #expect(BlockLayout.searchBlocks(trials: 100, periods: 33) == 16)
        #expect(BlockLayout.searchBlocks(trials: 10_000, periods: 2_147) == 8)
        #expect(BlockLayout.searchBlocks(trials: 100, periods: 5) == BlockLayout.minimumSearchBlocks)
    }

    @Test func theNoteSaysWhySixteenWasNotUsed() throws {
        #expect(BlockLayout.reduction(blocks: 16, trials: 10_000) == nil)
        // The user asked for 8 although 16 would fit: nothing to explain.
        #expect(BlockLayout.reduction(blocks: 8, trials: 175) == nil)
        let note = try #require(BlockLayout.reduction(blocks: 8, trials: 10_000))
        #expect(note.contains("8 blocks (70 splits)") && note.contains("12870 splits × 10000") && note.contains("\(BlockLayout.searchBudget)"))
    }

    /// Ordinary returns take the one-pass path: the Sharpe ratio of every union of blocks is the
    /// two-pass value within 1e-9 (of max(1, |value|), as the reference tests).
    @Test func onePassSharpeRatiosAreTheTwoPassValues() throws {
        let columns = SyntheticReturns.columns(periods: 1_003, trials: 8, seed: 11)
        var statistics = TrialBlockStatistics(layout: try BlockLayout(periods: 1_003, blocks: 10))
        for column in columns { try statistics.append(returns: column) }
        let layout = statistics.layout
        for split in OverfittingEstimate.splits(blocks: 10) {
            for (j, column) in columns.enumerated() {
                let expected = SampleMoments(split.flatMap { column[layout.range(ofBlock: $0)] }).sharpe
                #expect(abs(statistics.sharpe(ofTrial: j, overBlocks: split) - expected) <= 1e-12 * max(1, abs(expected)))
            }
        }
        for (j, column) in columns.enumerated() {
            let whole = SampleMoments(column)
            #expect(statistics.totals[j].count == 1_003)
            #expect(abs(statistics.totals[j].sharpe - whole.sharpe) <= 1e-12 * abs(whole.sharpe))
        }
    }

    /// A curve read directly gives the statistics of its returns, a ruin (equity at 0, then
    /// returns of 0) included; a NaN in the curve is refused.
    @Test func anEquityCurveIsItsReturns() throws {
        let returns = SyntheticReturns.columns(periods: 203, trials: 3, seed: 4)
        var curves = returns.map { column in
            column.reduce(into: [10_000.0]) { curve, r in curve.append(curve[curve.count - 1] * (1 + r)) }
        }
        // The third trial is ruined at bar 120 and stays at 0.
        for i in 120..<curves[2].count { curves[2][i] = 0 }
        let layout = try BlockLayout(periods: 203, blocks: 8)
        var fromCurves = TrialBlockStatistics(layout: layout)
        var fromReturns = TrialBlockStatistics(layout: layout)
        for curve in curves {
            try fromCurves.append(equity: curve)
            var built = [Double](repeating: 0, count: curve.count - 1)
            for i in 1..<curve.count where curve[i - 1] > 0 { built[i - 1] = curve[i] / curve[i - 1] - 1 }
            try fromReturns.append(returns: built)
        }
        for j in 0..<3 {
            #expect(abs(fromCurves.totals[j].sharpe - fromReturns.totals[j].sharpe) <= 1e-12 * abs(fromReturns.totals[j].sharpe))
            for b in 0..<8 {
                let a = fromCurves.blockMeans[j * 8 + b]
                let e = fromReturns.blockMeans[j * 8 + b]
                #expect(abs(a - e) <= 1e-15 + 1e-12 * abs(e), "trial \(j), block \(b)")
            }
        }
        var bad = TrialBlockStatistics(layout: layout)
        var curve = curves[0]
        curve[50] = .nan
        #expect(throws: ResearchError.self) { try bad.append(equity: curve) }
        #expect(throws: ResearchError.self) { try bad.append(equity: Array(curves[0].dropLast())) }
        #expect(bad.trialCount == 0)
    }

    /// A curve of flat stretches (no position: returns of exactly 0) between active ones, of 1
    /// to 12 periods each, so that the fast pass's groups of four meet them at every alignment.
    /// `scale` is its starting equity; from `ruinAt` on, most values are at 0 or below.
    static func flatAndActiveCurve(periods: Int, seed: UInt64, scale: Double, ruinAt: Int? = nil) -> [Double] {
        let noise = SyntheticReturns.columns(periods: periods, trials: 2, seed: seed)
        var curve = [scale]
        var flat = false
        var left = 0
        for t in 0..<periods {
            if left == 0 {
                flat = noise[1][t] > 0
                left = 1 + Int(abs(noise[1][t]) * 1_000) % 12
            }
            left -= 1
            let previous = curve[curve.count - 1]
            curve.append(flat ? previous : previous * (1 + noise[0][t]))
        }
        if let ruinAt {
            for t in ruinAt..<curve.count where noise[1][t - 1] > -0.005 {
                curve[t] = noise[1][t - 1] > 0.012 ? 0 : -scale * (1 + abs(noise[0][t - 1]))
            }
        }
        return curve
    }

    /// The fast pass over curves with flat stretches (skipped groups of four) gives each range's
    /// plain two-pass summary of the returns built period by period, (e[i + 1] − e[i]) / e[i]
    /// (0 after a ruin), within 1e-12 of each value, for every length mod 4 and every start;
    /// ranges in a ruin take the exact path and agree too, and so do curves at 1e200; a flat
    /// range's summary is exactly 0. (Skipping a group with one flat pair, dividing by the wrong
    /// equity, a wrong tail or the ruin check left out fails it.) Each pass this machine runs:
    /// the portable one everywhere, the AVX one where the CPU has it.
    @Test(arguments: ReturnPass.allCases.filter { $0 == .portable || ReturnPass.avxAvailable })
    func flatStretchesSkippedGiveThePlainPass(_ pass: ReturnPass) throws {
        var ranges = 0
        var flatRanges = 0
        for seed in UInt64(0)..<24 {
            let periods = 160 + Int(seed)
            // 1e200: squares of the equity would overflow (the returns do not).
            let scale = seed % 6 == 5 ? 1e200 : 10_000.0
            let curve = Self.flatAndActiveCurve(periods: periods, seed: seed, scale: scale, ruinAt: seed % 4 == 3 ? 120 : nil)
            var returns = [Double](repeating: 0, count: periods)
            for i in 0..<periods where curve[i] > 0 { returns[i] = (curve[i + 1] - curve[i]) / curve[i] }
            // Ranges at the start and in the ruin (its equity below 0 and varying, 0 at times).
            for start in Array(0..<8) + Array(113..<121) {
                for length in [1, 2, 3, 4, 5, 7, 9, 16, 37, periods - start] {
                    let range = start..<(start + length)
                    let fast = curve.withUnsafeBufferPointer { SampleSummary(returnsOf: $0, range: range, pass: pass) }
                    let plain = SampleMoments(Array(returns[range]))
                    ranges += 1
                    #expect(fast.count == length)
                    if plain.m2 == 0 && plain.mean == 0 {
                        flatRanges += 1
                        #expect(fast.mean == 0 && fast.m2 == 0, "seed \(seed), range \(range)")
                        continue
                    }
                    #expect(abs(fast.mean - plain.mean) <= 1e-15 + 1e-12 * abs(plain.mean), "seed \(seed), range \(range)")
                    #expect(abs(fast.m2 - plain.m2) <= 1e-12 * plain.m2 + 1e-30, "seed \(seed), range \(range)")
                    let sharpe = SampleSummary(count: plain.count, mean: plain.mean, m2: plain.m2).sharpe
                    #expect(abs(fast.sharpe - sharpe) <= 1e-11 * max(1, abs(sharpe)), "seed \(seed), range \(range)")
                }
            }
        }
        // The curves hold flat ranges and active ones of every kind.
        #expect(flatRanges > 100 && ranges - flatRanges > 1_000)
    }

    /// Each return the pass adds is its quotient (e[i + 1] − e[i]) / e[i], bit for bit: a curve
    /// that steps once, at every lane of a group and of the tail, has that one return as its
    /// sum. (A return divided by the wrong equity, a reciprocal multiplied in place of the
    /// division, or e[i + 1] / e[i] − 1, fails it.) Each pass this machine runs.
    @Test(arguments: ReturnPass.allCases.filter { $0 == .portable || ReturnPass.avxAvailable })
    func eachReturnIsItsQuotient(_ pass: ReturnPass) {
        var random = SplitMix64(seed: 9)
        var wrong = 0
        for _ in 0..<2_000 {
            let u = random.nextUniform()
            let before = 100 + 1e9 * u * u * u
            let after = before * (1 + 0.2 * (random.nextUniform() - 0.5))
            for step in 0..<7 {
                let curve = (0...7).map { $0 <= step ? before : after }
                var sums = BTRangeSums()
                curve.withUnsafeBufferPointer { e in
                    [0, 7].withUnsafeBufferPointer { bounds in
                        withUnsafeMutablePointer(to: &sums) {
                            pass.sums(of: e.baseAddress!, bounds: bounds, into: UnsafeMutableBufferPointer(start: $0, count: 1))
                        }
                    }
                }
                let quotient = (after - before) / before
                if sums.sum != quotient || sums.sumOfSquares != quotient * quotient { wrong += 1 }
            }
        }
        #expect(wrong == 0)
    }

    /// The AVX pass gives the portable pass's bits, whatever the curve: flat stretches, a ruin,
    /// curves at 1e200 and 1e-100, a NaN, every start and length mod 4. (Sums added in another
    /// order, a group started elsewhere or a fused multiply-add fails it.)
    @Test(.enabled(if: ReturnPass.avxAvailable, "this CPU has no AVX"))
    func theAVXPassGivesThePortablePassBits() throws {
        var compared = 0
        for seed in UInt64(0)..<24 {
            let periods = 300 + Int(seed)
            let scale = seed % 6 == 5 ? 1e200 : (seed % 6 == 4 ? 1e-100 : 10_000.0)
            var curve = Self.flatAndActiveCurve(periods: periods, seed: seed, scale: scale, ruinAt: seed % 4 == 3 ? 200 : nil)
            if seed % 8 == 6 { curve[150] = .nan }
            for start in 0..<9 {
                for length in [1, 3, 4, 8, 13, 64, 129, periods - start] {
                    let range = start..<(start + length)
                    let (portable, avx) = curve.withUnsafeBufferPointer {
                        (SampleSummary(returnsOf: $0, range: range, pass: .portable), SampleSummary(returnsOf: $0, range: range, pass: .avx))
                    }
                    compared += 1
                    #expect(
                        portable.count == avx.count && portable.mean.bitPattern == avx.mean.bitPattern
                            && portable.m2.bitPattern == avx.m2.bitPattern,
                        "seed \(seed), range \(range): \(portable) vs \(avx)"
                    )
                }
            }
        }
        #expect(compared == 24 * 9 * 8)
    }
}
