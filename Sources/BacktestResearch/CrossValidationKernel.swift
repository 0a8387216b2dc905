import Dispatch

/// The inner loop of CSCV over block statistics: for each split, n\* and its ranks.
///
/// Each trial j is shifted by c_j, its mean over the CSCV periods; block b then contributes
/// s1 = L·(mean_b − c_j) and s2 = M2_b + L·(mean_b − c_j)² (L the block length). Over a union
/// of blocks with n periods, mean = c_j + Σs1/n and M2 = Σs2 − (Σs1)²/n: exact formulas whose
/// sums stay small, so no precision is lost to cancellation. Trials are compared by
/// q = mean·|mean| / M2, which orders them as their Sharpe ratios do.
///
/// The out-of-sample set of split k is the in-sample set of split C − 1 − k (in
/// `itertools.combinations` order the complement of the k-th combination is the (C − 1 − k)-th).
/// So the walk visits only the splits that hold block 0 (the first half in combination order),
/// each with every trial at once: their in-sample sums built incrementally (a split shares its
/// prefix with the previous one), the complement's the trials' totals less them. The two
/// arrays of order values are each other's out-of-sample values: the split's n\* and its rank
/// come from them, and so do the complement's, with nothing kept between splits.
struct CrossValidationKernel {
    /// One split's outcome.
    struct Split: Equatable {
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
    /// Each trial's s1 and s2 over all its blocks, added in block order.
    let total1: [Double]
    let total2: [Double]

    init(_ statistics: TrialBlockStatistics) {
        let trials = statistics.trialCount
        let blocks = statistics.layout.blocks
        self.trials = trials
        self.blocks = blocks
        half = blocks / 2
        let length = Double(statistics.layout.blockLength)
        halfCount = length * Double(half)
        var shift = [Double](repeating: 0, count: trials)
        var total1 = shift
        var total2 = shift
        // Written in full below, so not zeroed first (2.6 MB at 10,000 trials and S = 16).
        let values = trials * blocks
        var s1 = [Double](unsafeUninitializedCapacity: values) { _, initialized in initialized = values }
        var s2 = [Double](unsafeUninitializedCapacity: values) { _, initialized in initialized = values }
        s1.withUnsafeMutableBufferPointer { s1 in
            s2.withUnsafeMutableBufferPointer { s2 in
                shift.withUnsafeMutableBufferPointer { c in
                    total1.withUnsafeMutableBufferPointer { t1 in
                        total2.withUnsafeMutableBufferPointer { t2 in
                            statistics.blockMeans.withUnsafeBufferPointer { means in
                                statistics.blockDeviations.withUnsafeBufferPointer { deviations in
                                    guard let m = means.baseAddress, let v = deviations.baseAddress, let a1 = s1.baseAddress,
                                        let a2 = s2.baseAddress, let c = c.baseAddress, let t1 = t1.baseAddress, let t2 = t2.baseAddress
                                    else { return }
                                    Self.shift(means: m, deviations: v, trials: trials, blocks: blocks, length: length, into: (a1, a2, c, t1, t2))
                                }
                            }
                        }
                    }
                }
            }
        }
        self.s1 = s1
        self.s2 = s2
        self.shift = shift
        self.total1 = total1
        self.total2 = total2
    }

    /// The shifted block sums (block-major), the shifts and the totals, from trial-major block
    /// means and deviations (``TrialBlockStatistics``).
    private static func shift(
        means: UnsafePointer<Double>,
        deviations: UnsafePointer<Double>,
        trials: Int,
        blocks: Int,
        length: Double,
        into out: (
            s1: UnsafeMutablePointer<Double>, s2: UnsafeMutablePointer<Double>, shift: UnsafeMutablePointer<Double>,
            total1: UnsafeMutablePointer<Double>, total2: UnsafeMutablePointer<Double>
        )
    ) {
        for j in 0..<trials {
            let row = j &* blocks
            var sum = 0.0
            for b in 0..<blocks { sum += means[row &+ b] }
            let c = sum / Double(blocks)
            out.shift[j] = c
            var total1 = 0.0
            var total2 = 0.0
            for b in 0..<blocks {
                let d = means[row &+ b] - c
                let a1 = length * d
                let a2 = deviations[row &+ b] + length * d * d
                out.s1[b &* trials &+ j] = a1
                out.s2[b &* trials &+ j] = a2
                // The totals in block order, as the complement of a split subtracts from them.
                total1 += a1
                total2 += a2
            }
            out.total1[j] = total1
            out.total2[j] = total2
        }
    }

    /// Every split, in combination order, on up to `concurrency` threads, each walking its own
    /// run of the splits that hold block 0 (the result does not depend on them).
    func run(concurrency: Int) -> [Split] {
        let splits = OverfittingEstimate.splits(blocks: blocks)
        let flat = splits.flatMap { $0 }
        let count = splits.count
        let walked = count / 2
        let workers = max(1, min(concurrency, walked))
        var parts = [[SplitPair]](repeating: [], count: workers)
        parts.withUnsafeMutableBufferPointer { buffer in
            nonisolated(unsafe) let output = buffer
            DispatchQueue.concurrentPerform(iterations: workers) { w in
                output[w] = walkPairs(flat, splits: (w * walked / workers)..<((w + 1) * walked / workers))
            }
        }
        var results = [Split](repeating: Split(), count: count)
        for (k, pair) in parts.joined().enumerated() {
            results[k].selected = pair.selected
            results[k].rank = pair.rank
            results[count - 1 - k].selected = pair.complementSelected
            results[count - 1 - k].rank = pair.complementRank
        }
        for k in 0..<count {
            let j = results[k].selected
            let inSample = inSampleSums(trial: j, split: k, of: flat)
            let outOfSample = inSampleSums(trial: j, split: count - 1 - k, of: flat)
            results[k].inSampleSharpe = sharpe(sum: inSample.0, squares: inSample.1, shift: shift[j])
            results[k].outOfSampleSharpe = sharpe(sum: outOfSample.0, squares: outOfSample.1, shift: shift[j])
        }
        return results
    }

    /// A walked split's and its complement's n\* and out-of-sample rank.
    struct SplitPair {
        var selected: Int
        var rank: Double
        var complementSelected: Int
        var complementRank: Double
    }

    /// Trial `trial`'s in-sample sums over split `k`'s blocks, bit for bit the values the walk
    /// computes: for a split of the first half, added in the order of the prefix sums; for one of
    /// the second half, its complement's subtracted from the trial's totals.
    private func inSampleSums(trial: Int, split k: Int, of flat: [Int]) -> (Double, Double) {
        let count = flat.count / half
        if k >= count / 2 {
            let (sum1, sum2) = inSampleSums(trial: trial, split: count - 1 - k, of: flat)
            return (total1[trial] - sum1, total2[trial] - sum2)
        }
        var sum1 = 0.0
        var sum2 = 0.0
        for (l, b) in flat[(k * half)..<((k + 1) * half)].enumerated() {
            if l == 0 {
                sum1 = s1[b * trials + trial]
                sum2 = s2[b * trials + trial]
            } else {
                sum1 += s1[b * trials + trial]
                sum2 += s2[b * trials + trial]
            }
        }
        return (sum1, sum2)
    }

    /// Walks the splits `splits` of the first half (those with block 0), every trial at once:
    /// the in-sample sums of the first `half − 1` blocks of a split are kept level by level
    /// (the levels a split shares with the previous one are not added again), the last block's
    /// is added as the order values are taken. Each split's order values and its complement's
    /// then give both n\* and both ranks.
    private func walkPairs(_ flat: [Int], splits: Range<Int>) -> [SplitPair] {
        let n = trials
        let levels = half - 1
        let scale = 1 / halfCount
        var outcomes: [SplitPair] = []
        outcomes.reserveCapacity(splits.count)
        // With S = 2 (no level kept) the last block is added to a level of zeros: the same order
        // values but for the sign of a zero, which compares equal.
        let prefix1 = UnsafeMutableBufferPointer<Double>.allocate(capacity: max(1, levels) * n)
        let prefix2 = UnsafeMutableBufferPointer<Double>.allocate(capacity: max(1, levels) * n)
        if levels == 0 {
            prefix1.initialize(repeating: 0)
            prefix2.initialize(repeating: 0)
        }
        let own = UnsafeMutableBufferPointer<Double>.allocate(capacity: n)
        let other = UnsafeMutableBufferPointer<Double>.allocate(capacity: n)
        defer {
            for buffer in [prefix1, prefix2, own, other] { buffer.deallocate() }
        }
        var previous = [Int](repeating: -1, count: half)
        s1.withUnsafeBufferPointer { s1 in
            s2.withUnsafeBufferPointer { s2 in
                shift.withUnsafeBufferPointer { shift in
                    total1.withUnsafeBufferPointer { total1 in
                        total2.withUnsafeBufferPointer { total2 in
                            guard let a1 = s1.baseAddress, let a2 = s2.baseAddress, let p1 = prefix1.baseAddress, let p2 = prefix2.baseAddress,
                                let c = shift.baseAddress, let t1 = total1.baseAddress, let t2 = total2.baseAddress,
                                let o = own.baseAddress, let x = other.baseAddress
                            else { return }
                            for k in splits {
                                var level = 0
                                while level < levels && flat[k * half + level] == previous[level] { level += 1 }
                                for l in level..<levels {
                                    let b = flat[k * half + l]
                                    previous[l] = b
                                    Self.accumulate(
                                        into: (p1 + l * n, p2 + l * n),
                                        base: l == 0 ? nil : (p1 + (l - 1) * n, p2 + (l - 1) * n),
                                        adding: (a1 + b * n, a2 + b * n),
                                        count: n
                                    )
                                }
                                let b = flat[k * half + levels]
                                let base = max(0, levels - 1) * n
                                Self.orders(
                                    base: (p1 + base, p2 + base),
                                    adding: (a1 + b * n, a2 + b * n),
                                    totals: (t1, t2),
                                    shifts: c,
                                    scale: scale,
                                    into: (o, x),
                                    count: n
                                )
                                let selected = Self.firstMaximum(UnsafeBufferPointer(own))
                                let complementSelected = Self.firstMaximum(UnsafeBufferPointer(other))
                                // n*'s out-of-sample order value is its in-sample one at the complement.
                                let below = Self.count(UnsafeBufferPointer(other), around: x[selected])
                                let complementBelow = Self.count(UnsafeBufferPointer(own), around: o[complementSelected])
                                outcomes.append(
                                    SplitPair(
                                        selected: selected,
                                        rank: Double(below.less) + Double(below.equal + 1) / 2,
                                        complementSelected: complementSelected,
                                        complementRank: Double(complementBelow.less) + Double(complementBelow.equal + 1) / 2
                                    )
                                )
                            }
                        }
                    }
                }
            }
        }
        return outcomes
    }

    /// to[j] = (base[j] or 0) + from[j] for both sums, on raw pointers so the loop has no
    /// overflow or bounds checks and vectorises.
    private static func accumulate(
        into to: (UnsafeMutablePointer<Double>, UnsafeMutablePointer<Double>),
        base: (UnsafeMutablePointer<Double>, UnsafeMutablePointer<Double>)?,
        adding from: (UnsafePointer<Double>, UnsafePointer<Double>),
        count: Int
    ) {
        if let base {
            for j in 0..<count {
                to.0[j] = base.0[j] + from.0[j]
                to.1[j] = base.1[j] + from.1[j]
            }
        } else {
            to.0.update(from: from.0, count: count)
            to.1.update(from: from.1, count: count)
        }
    }

    /// Every trial's order value over a split's in-sample sums, `base` + the last block's, into
    /// `into.0`, and over its complement's, the totals less them, into `into.1`.
    private static func orders(
        base: (UnsafeMutablePointer<Double>, UnsafeMutablePointer<Double>),
        adding from: (UnsafePointer<Double>, UnsafePointer<Double>),
        totals: (UnsafePointer<Double>, UnsafePointer<Double>),
        shifts c: UnsafePointer<Double>,
        scale: Double,
        into out: (UnsafeMutablePointer<Double>, UnsafeMutablePointer<Double>),
        count: Int
    ) {
        for j in 0..<count {
            let sum = base.0[j] + from.0[j]
            let squares = base.1[j] + from.1[j]
            out.0[j] = order(sum: sum, squares: squares, shift: c[j], scale: scale)
            out.1[j] = order(sum: totals.0[j] - sum, squares: totals.1[j] - squares, shift: c[j], scale: scale)
        }
    }

    /// The index of the first of the largest of `orders` (at least one): the maximum four
    /// lanes at a time (a running maximum of one lane waits on each comparison in turn), then
    /// the first value equal to it. The same index as keeping the first strictly larger one
    /// scan by scan (a NaN is never larger, and one in front is kept, as that scan keeps it).
    private static func firstMaximum(_ orders: UnsafeBufferPointer<Double>) -> Int {
        guard let o = orders.baseAddress, orders.count > 1, !o[0].isNaN else { return 0 }
        let raw = UnsafeRawPointer(o)
        var lanes = SIMD4<Double>(repeating: -.infinity)
        var j = 0
        while j &+ 4 <= orders.count {
            let values = raw.loadUnaligned(fromByteOffset: j &* 8, as: SIMD4<Double>.self)
            lanes = lanes.replacing(with: values, where: values .> lanes)
            j &+= 4
        }
        var maximum = lanes.max()
        while j < orders.count {
            if o[j] > maximum { maximum = o[j] }
            j &+= 1
        }
        var first = 0
        while first < orders.count, !(o[first] == maximum) { first &+= 1 }
        return first < orders.count ? first : 0
    }

    /// How many of `orders` are below and equal to `target`: four at a time by vector
    /// comparison (a branch per trial mispredicted about half the time, the orders being in
    /// no particular order around n\*'s).
    private static func count(_ orders: UnsafeBufferPointer<Double>, around target: Double) -> (less: Int, equal: Int) {
        guard let o = orders.baseAddress else { return (0, 0) }
        let raw = UnsafeRawPointer(o)
        let targets = SIMD4<Double>(repeating: target)
        let zero = SIMD4<Int64>.zero
        let one = SIMD4<Int64>(repeating: 1)
        var lessLanes = zero
        var equalLanes = zero
        var j = 0
        while j &+ 4 <= orders.count {
            let values = raw.loadUnaligned(fromByteOffset: j &* 8, as: SIMD4<Double>.self)
            lessLanes &+= zero.replacing(with: one, where: values .< targets)
            equalLanes &+= zero.replacing(with: one, where: values .== targets)
            j &+= 4
        }
        var less = Int(lessLanes.wrappedSum())
        var equal = Int(equalLanes.wrappedSum())
        while j < orders.count {
            less &+= o[j] < target ? 1 : 0
            equal &+= o[j] == target ? 1 : 0
            j &+= 1
        }
        return (less, equal)
    }

    /// mean·|mean| / M2 over a half (0 when the returns do not vary): orders as the Sharpe ratio.
    @inline(__always)
    private static func order(sum: Double, squares: Double, shift: Double, scale: Double) -> Double {
        let m = sum * scale
        let mean = shift + m
        let m2 = squares - sum * m
        // Divided unconditionally and then selected, so the loops over trials vectorise.
        let q = mean * abs(mean) / m2
        return m2 > 0 ? q : 0
    }

    /// mean / std (ddof = 1) over a half; 0 when the returns do not vary.
    private func sharpe(sum: Double, squares: Double, shift: Double) -> Double {
        let m = sum / halfCount
        let variance = (squares - sum * m) / (halfCount - 1)
        return variance > 0 ? (shift + m) / variance.squareRoot() : 0
    }
}
