import Dispatch

/// The inner loop of CSCV over block statistics: for each split, n\* and its ranks.
///
/// Each trial j is shifted by c_j, its mean over the CSCV periods; block b then contributes
/// s1 = L·(mean_b − c_j) and s2 = M2_b + L·(mean_b − c_j)² (L the block length). Over a union
/// of blocks with n periods, mean = c_j + Σs1/n and M2 = Σs2 − (Σs1)²/n: exact formulas whose
/// sums stay small, so no precision is lost to cancellation. The in-sample sums of a split are
/// built incrementally along the combination order (a split shares its prefix with the
/// previous one); the out-of-sample sums are the totals minus them. Trials are compared by
/// q = mean·|mean| / M2, which orders them as their Sharpe ratios do.
struct CrossValidationKernel {
    /// One split's outcome.
    struct Split {
        var selected = 0
        var rank = 0.0
        var inSampleSharpe = 0.0
        var outOfSampleSharpe = 0.0
    }

    let trials: Int
    let blocks: Int
    let half: Int
    /// Periods in each half.
    let halfCount: Double
    let shift: [Double]
    /// Block-major: block b of trial j at `b · trials + j`.
    let s1: [Double]
    let s2: [Double]
    let total1: [Double]
    let total2: [Double]

    init(_ statistics: TrialBlockStatistics) {
        trials = statistics.trialCount
        blocks = statistics.layout.blocks
        half = blocks / 2
        let length = Double(statistics.layout.blockLength)
        halfCount = length * Double(half)
        var shift = [Double](repeating: 0, count: trials)
        var s1 = [Double](repeating: 0, count: trials * blocks)
        var s2 = [Double](repeating: 0, count: trials * blocks)
        var total1 = [Double](repeating: 0, count: trials)
        var total2 = [Double](repeating: 0, count: trials)
        for j in 0..<trials {
            var sum = 0.0
            for b in 0..<blocks { sum += statistics.blockMeans[j * blocks + b] }
            let c = sum / Double(blocks)
            shift[j] = c
            for b in 0..<blocks {
                let d = statistics.blockMeans[j * blocks + b] - c
                s1[b * trials + j] = length * d
                s2[b * trials + j] = statistics.blockDeviations[j * blocks + b] + length * d * d
                total1[j] += length * d
                total2[j] += s2[b * trials + j]
            }
        }
        self.shift = shift
        self.s1 = s1
        self.s2 = s2
        self.total1 = total1
        self.total2 = total2
    }

    /// Every split, in combination order.
    func run(concurrency: Int) -> [Split] {
        let splits = OverfittingEstimate.splits(blocks: blocks)
        let flat = splits.flatMap { $0 }
        var results = [Split](repeating: Split(), count: splits.count)
        let tasks = max(1, min(splits.count, max(1, concurrency) * 8))
        results.withUnsafeMutableBufferPointer { buffer in
            nonisolated(unsafe) let output = buffer
            DispatchQueue.concurrentPerform(iterations: tasks) { task in
                let lower = splits.count * task / tasks
                let upper = splits.count * (task + 1) / tasks
                evaluate(flat, range: lower..<upper, into: output)
            }
        }
        return results
    }

    /// Evaluates splits `range` (of `flat`, `half` blocks each) into `output`.
    private func evaluate(_ flat: [Int], range: Range<Int>, into output: UnsafeMutableBufferPointer<Split>) {
        guard !range.isEmpty else { return }
        let n = trials
        var prefix1 = [Double](repeating: 0, count: half * n)
        var prefix2 = [Double](repeating: 0, count: half * n)
        var previous = [Int](repeating: -1, count: half)
        s1.withUnsafeBufferPointer { s1 in
            s2.withUnsafeBufferPointer { s2 in
                prefix1.withUnsafeMutableBufferPointer { p1 in
                    prefix2.withUnsafeMutableBufferPointer { p2 in
                        for k in range {
                            var level = 0
                            while level < half && flat[k * half + level] == previous[level] { level += 1 }
                            for l in level..<half {
                                let b = flat[k * half + l]
                                previous[l] = b
                                accumulate(level: l, block: b, s1: s1, s2: s2, p1: p1, p2: p2)
                            }
                            output[k] = leaf(p1: p1, p2: p2)
                        }
                    }
                }
            }
        }
    }

    /// prefix[level] = prefix[level − 1] + s[block] (prefix[−1] = 0).
    private func accumulate(
        level: Int,
        block: Int,
        s1: UnsafeBufferPointer<Double>,
        s2: UnsafeBufferPointer<Double>,
        p1: UnsafeMutableBufferPointer<Double>,
        p2: UnsafeMutableBufferPointer<Double>
    ) {
        let n = trials
        let to = level * n
        let from = block * n
        if level == 0 {
            for j in 0..<n {
                p1[to + j] = s1[from + j]
                p2[to + j] = s2[from + j]
            }
        } else {
            let before = (level - 1) * n
            for j in 0..<n {
                p1[to + j] = p1[before + j] + s1[from + j]
                p2[to + j] = p2[before + j] + s2[from + j]
            }
        }
    }

    /// n\*, its out-of-sample average rank and both Sharpe ratios, from the in-sample sums
    /// in the last prefix level.
    private func leaf(p1: UnsafeMutableBufferPointer<Double>, p2: UnsafeMutableBufferPointer<Double>) -> Split {
        let n = trials
        let base = (half - 1) * n
        let scale = 1 / halfCount
        var best = 0
        var bestQ = -Double.infinity
        shift.withUnsafeBufferPointer { c in
            for j in 0..<n {
                let q = Self.order(sum: p1[base + j], squares: p2[base + j], shift: c[j], scale: scale)
                if q > bestQ {
                    bestQ = q
                    best = j
                }
            }
        }
        var less = 0
        var equal = 0
        let outQ = Self.order(sum: total1[best] - p1[base + best], squares: total2[best] - p2[base + best], shift: shift[best], scale: scale)
        shift.withUnsafeBufferPointer { c in
            total1.withUnsafeBufferPointer { t1 in
                total2.withUnsafeBufferPointer { t2 in
                    for j in 0..<n {
                        let q = Self.order(sum: t1[j] - p1[base + j], squares: t2[j] - p2[base + j], shift: c[j], scale: scale)
                        less &+= q < outQ ? 1 : 0
                        equal &+= q == outQ ? 1 : 0
                    }
                }
            }
        }
        return Split(
            selected: best,
            rank: Double(less) + Double(equal + 1) / 2,
            inSampleSharpe: sharpe(sum: p1[base + best], squares: p2[base + best], shift: shift[best]),
            outOfSampleSharpe: sharpe(sum: total1[best] - p1[base + best], squares: total2[best] - p2[base + best], shift: shift[best])
        )
    }

    /// mean·|mean| / M2 over a half (0 when the returns do not vary): orders as the Sharpe ratio.
    @inline(__always)
    private static func order(sum: Double, squares: Double, shift: Double, scale: Double) -> Double {
        let m = sum * scale
        let mean = shift + m
        let m2 = squares - sum * m
        return m2 > 0 ? mean * abs(mean) / m2 : 0
    }

    /// mean / std (ddof = 1) over a half; 0 when the returns do not vary.
    private func sharpe(sum: Double, squares: Double, shift: Double) -> Double {
        let m = sum / halfCount
        let variance = (squares - sum * m) / (halfCount - 1)
        return variance > 0 ? (shift + m) / variance.squareRoot() : 0
    }
}
