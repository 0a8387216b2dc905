import Dispatch

/// The inner loop of CSCV over block statistics: for each split, n\* and its ranks.
///
/// Each trial j is shifted by c_j, its mean over the CSCV periods; block b then contributes
/// s1 = L·(mean_b − c_j) and s2 = M2_b + L·(mean_b − c_j)² (L the block length). Over a union
/// of blocks with n periods, mean = c_j + Σs1/n and M2 = Σs2 − (Σs1)²/n: exact formulas whose
/// sums stay small, so no precision is lost to cancellation. The in-sample sums of the splits
/// that hold block 0 (the first half in combination order) are built incrementally (a split
/// shares its prefix with the previous one); those of each one's complement are the trials'
/// totals less them. Trials are compared by q = mean·|mean| / M2, which orders them as their
/// Sharpe ratios do.
///
/// The out-of-sample set of split k is the in-sample set of split C − 1 − k (in
/// `itertools.combinations` order the complement of the k-th combination is the (C − 1 − k)-th),
/// so the out-of-sample order values are the in-sample ones of that split, the same numbers:
/// when all of them fit in memory (``storedOrderLimit``) the first pass keeps them and the
/// ranks are a scan; otherwise the second pass computes them again.
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

    /// The most in-sample order values (trials × splits) kept from the first pass for the
    /// ranks: 4,194,304 (32 MiB), more than any search's automatic S needs
    /// (``BlockLayout/searchBudget``).
    static let storedOrderLimit = 1 << 22

    init(_ statistics: TrialBlockStatistics) {
        trials = statistics.trialCount
        blocks = statistics.layout.blocks
        half = blocks / 2
        let length = Double(statistics.layout.blockLength)
        halfCount = length * Double(half)
        var shift = [Double](repeating: 0, count: trials)
        var total1 = [Double](repeating: 0, count: trials)
        var total2 = [Double](repeating: 0, count: trials)
        // Written in full below, so not zeroed first (2.6 MB at 10,000 trials and S = 16).
        let values = trials * blocks
        var s1 = [Double](unsafeUninitializedCapacity: values) { _, initialized in initialized = values }
        var s2 = [Double](unsafeUninitializedCapacity: values) { _, initialized in initialized = values }
        for j in 0..<trials {
            var sum = 0.0
            for b in 0..<blocks { sum += statistics.blockMeans[j * blocks + b] }
            let c = sum / Double(blocks)
            shift[j] = c
            for b in 0..<blocks {
                let d = statistics.blockMeans[j * blocks + b] - c
                s1[b * trials + j] = length * d
                s2[b * trials + j] = statistics.blockDeviations[j * blocks + b] + length * d * d
                // The totals in block order, as the complement of a split subtracts from them.
                total1[j] += s1[b * trials + j]
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
    ///
    /// Trials are processed in tiles small enough for the core's cache, each tile over every
    /// split: first each tile's in-sample best per split (merged in tile order, so the first
    /// of equal trials wins), then, once n\* of every split is known, each tile's count of
    /// trials below and equal to n\* out of sample. The first pass keeps its order values when
    /// trials × splits ≤ `storedOrderLimit`. The result does not depend on the tiling, the
    /// threads or the limit.
    func run(concurrency: Int, storedOrderLimit: Int = Self.storedOrderLimit) -> [Split] {
        let splits = OverfittingEstimate.splits(blocks: blocks)
        let flat = splits.flatMap { $0 }
        let count = splits.count
        let workers = max(1, concurrency)
        let tileSize = max(64, min(512, (trials + workers - 1) / workers))
        let tiles = stride(from: 0, to: trials, by: tileSize).map { $0..<min(trials, $0 + tileSize) }
        let keepsOrders = trials * count <= storedOrderLimit
        // Phase 1: each tile's first in-sample maximum per split (and its order values).
        var tilePasses = [InSamplePass](repeating: InSamplePass(), count: tiles.count)
        tilePasses.withUnsafeMutableBufferPointer { buffer in
            nonisolated(unsafe) let output = buffer
            DispatchQueue.concurrentPerform(iterations: tiles.count) { t in
                output[t] = inSampleBest(flat, tile: tiles[t], keepingOrders: keepsOrders)
            }
        }
        var results = [Split](repeating: Split(), count: count)
        var outOrders = [Double](repeating: 0, count: count)
        let scale = 1 / halfCount
        for k in 0..<count {
            var best = tilePasses[0].best[k]
            for t in 1..<tiles.count where tilePasses[t].best[k].order > best.order { best = tilePasses[t].best[k] }
            let j = best.trial
            let inSample = inSampleSums(trial: j, split: k, of: flat)
            let complement = count - 1 - k
            let outOfSample = inSampleSums(trial: j, split: complement, of: flat)
            results[k].selected = j
            results[k].inSampleSharpe = sharpe(sum: inSample.0, squares: inSample.1, shift: shift[j])
            results[k].outOfSampleSharpe = sharpe(sum: outOfSample.0, squares: outOfSample.1, shift: shift[j])
            // The value phase 1 computed for n* at the complement (the same operations).
            outOrders[k] = Self.order(sum: outOfSample.0, squares: outOfSample.1, shift: shift[j], scale: scale)
        }
        // Phase 2: each tile's counts below and equal to n*'s out-of-sample order value.
        var tileCounts = [[(less: Int, equal: Int)]](repeating: [], count: tiles.count)
        let targets = outOrders
        let passes = tilePasses
        tileCounts.withUnsafeMutableBufferPointer { buffer in
            nonisolated(unsafe) let output = buffer
            DispatchQueue.concurrentPerform(iterations: tiles.count) { t in
                output[t] = outOfSampleCounts(flat, tile: tiles[t], kept: passes[t].orders, against: targets)
            }
        }
        for k in 0..<count {
            var less = 0
            var equal = 0
            for t in 0..<tiles.count {
                less += tileCounts[t][k].less
                equal += tileCounts[t][k].equal
            }
            results[k].rank = Double(less) + Double(equal + 1) / 2
        }
        return results
    }

    /// A tile's first pass: per split, its first trial with the highest in-sample order value,
    /// and, when kept, every order value (split-major: split k's at `k · width`).
    struct InSamplePass: Sendable {
        var best: [(order: Double, trial: Int)] = []
        var orders: [Double]?
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

    /// Walks the splits of the first half (those with block 0) for the trials of `tile`,
    /// keeping the in-sample sums of each split in `prefix` (level `half − 1`), and calls `body`
    /// with the split's index. (The second half are their complements: ``walkOrders``.)
    private func walk(
        _ flat: [Int],
        tile: Range<Int>,
        _ body: (Int, UnsafeMutableBufferPointer<Double>, UnsafeMutableBufferPointer<Double>) -> Void
    ) {
        let width = tile.count
        let splitCount = flat.count / half / 2
        var prefix1 = [Double](repeating: 0, count: half * width)
        var prefix2 = [Double](repeating: 0, count: half * width)
        var previous = [Int](repeating: -1, count: half)
        s1.withUnsafeBufferPointer { s1 in
            s2.withUnsafeBufferPointer { s2 in
                prefix1.withUnsafeMutableBufferPointer { p1 in
                    prefix2.withUnsafeMutableBufferPointer { p2 in
                        let base = (half - 1) * width
                        let last1 = UnsafeMutableBufferPointer(rebasing: p1[base..<(base + width)])
                        let last2 = UnsafeMutableBufferPointer(rebasing: p2[base..<(base + width)])
                        for k in 0..<splitCount {
                            var level = 0
                            while level < half && flat[k * half + level] == previous[level] { level += 1 }
                            for l in level..<half {
                                let b = flat[k * half + l]
                                previous[l] = b
                                Self.accumulate(
                                    into: (p1.baseAddress, p2.baseAddress),
                                    at: l * width,
                                    from: (s1.baseAddress, s2.baseAddress),
                                    at: b * trials + tile.lowerBound,
                                    previous: l == 0 ? nil : (l - 1) * width,
                                    count: width
                                )
                            }
                            body(k, last1, last2)
                        }
                    }
                }
            }
        }
    }

    /// Walks every split for the trials of `tile` and calls `body` with the split's index and
    /// every trial's in-sample order value, written into `storage`: split k's at `k · width`
    /// when `storage` holds every split's, else each over its first `width`. The first half
    /// come from the prefix walk (``walk(_:tile:_:)``); each one's complement, split C − 1 − k,
    /// from the trials' totals less its sums, which halves the walk.
    private func walkOrders(
        _ flat: [Int],
        tile: Range<Int>,
        into storage: inout [Double],
        _ body: (Int, UnsafeBufferPointer<Double>) -> Void
    ) {
        let width = tile.count
        let splitCount = flat.count / half
        let keepsEach = storage.count == width * splitCount
        let scale = 1 / halfCount
        let shifts = Array(shift[tile])
        let totals = (Array(total1[tile]), Array(total2[tile]))
        // The complement's sums, rewritten for each split walked.
        let complement = (UnsafeMutableBufferPointer<Double>.allocate(capacity: width), UnsafeMutableBufferPointer<Double>.allocate(capacity: width))
        defer {
            complement.0.deallocate()
            complement.1.deallocate()
        }
        storage.withUnsafeMutableBufferPointer { storage in
            shifts.withUnsafeBufferPointer { c in
                func orders(of split: Int) -> UnsafeMutableBufferPointer<Double> {
                    let start = keepsEach ? split * width : 0
                    return UnsafeMutableBufferPointer(rebasing: storage[start..<(start + width)])
                }
                walk(flat, tile: tile) { k, sums, squares in
                    let own = orders(of: k)
                    Self.orders(sums: sums, squares: squares, shifts: c, scale: scale, into: own)
                    body(k, UnsafeBufferPointer(own))
                    let other = orders(of: splitCount - 1 - k)
                    Self.subtract(sums, squares, from: totals, into: complement)
                    Self.orders(sums: complement.0, squares: complement.1, shifts: c, scale: scale, into: other)
                    body(splitCount - 1 - k, UnsafeBufferPointer(other))
                }
            }
        }
    }

    /// into[j] = totals[j] − sums[j], for both sums.
    private static func subtract(
        _ sums: UnsafeMutableBufferPointer<Double>,
        _ squares: UnsafeMutableBufferPointer<Double>,
        from totals: ([Double], [Double]),
        into out: (UnsafeMutableBufferPointer<Double>, UnsafeMutableBufferPointer<Double>)
    ) {
        totals.0.withUnsafeBufferPointer { t1 in
            totals.1.withUnsafeBufferPointer { t2 in
                guard let a = t1.baseAddress, let b = t2.baseAddress, let s = sums.baseAddress, let q = squares.baseAddress,
                    let o1 = out.0.baseAddress, let o2 = out.1.baseAddress
                else { return }
                for j in 0..<out.0.count {
                    o1[j] = a[j] - s[j]
                    o2[j] = b[j] - q[j]
                }
            }
        }
    }

    /// Per split: the first trial of `tile` with the highest in-sample order value, and every
    /// trial's order value when `keepingOrders`.
    private func inSampleBest(_ flat: [Int], tile: Range<Int>, keepingOrders: Bool) -> InSamplePass {
        let splitCount = flat.count / half
        // Not zeroed first: the walk writes every value before anything reads it. (Zeroing the
        // 5.6 MB that a 10,000-combination search keeps was 5.6 M of CSCV's 30 M instructions.)
        let count = keepingOrders ? tile.count * splitCount : tile.count
        var orders = [Double](unsafeUninitializedCapacity: count) { _, initialized in initialized = count }
        var pass = InSamplePass(best: [(order: Double, trial: Int)](repeating: (0, 0), count: splitCount))
        walkOrders(flat, tile: tile, into: &orders) { k, orders in
            let best = Self.firstMaximum(orders)
            pass.best[k] = (orders[best], tile.lowerBound + best)
        }
        if keepingOrders { pass.orders = orders }
        return pass
    }

    /// Per split: how many trials of `tile` order below and equal to `outOrders[split]` out
    /// of sample, i.e. in sample at the complement split: read from `kept` (the first pass's
    /// order values) or computed again.
    private func outOfSampleCounts(
        _ flat: [Int],
        tile: Range<Int>,
        kept: [Double]?,
        against outOrders: [Double]
    ) -> [(less: Int, equal: Int)] {
        let width = tile.count
        let splitCount = flat.count / half
        var result = [(less: Int, equal: Int)](repeating: (0, 0), count: splitCount)
        if let kept {
            kept.withUnsafeBufferPointer { kept in
                for k in 0..<splitCount {
                    let start = (splitCount - 1 - k) * width
                    result[k] = Self.count(UnsafeBufferPointer(rebasing: kept[start..<(start + width)]), around: outOrders[k])
                }
            }
            return result
        }
        var orders = [Double](repeating: 0, count: width)
        walkOrders(flat, tile: tile, into: &orders) { k, orders in
            let complement = splitCount - 1 - k
            result[complement] = Self.count(orders, around: outOrders[complement])
        }
        return result
    }

    /// to[j] = (previous level's to[j] or 0) + from[j] for both sums, on raw pointers so the
    /// loop has no overflow or bounds checks and vectorises.
    private static func accumulate(
        into to: (UnsafeMutablePointer<Double>?, UnsafeMutablePointer<Double>?),
        at offset: Int,
        from source: (UnsafePointer<Double>?, UnsafePointer<Double>?),
        at sourceOffset: Int,
        previous: Int?,
        count: Int
    ) {
        guard let t1 = to.0?.advanced(by: offset), let t2 = to.1?.advanced(by: offset),
            let f1 = source.0?.advanced(by: sourceOffset), let f2 = source.1?.advanced(by: sourceOffset)
        else { return }
        if let previous, let b1 = to.0?.advanced(by: previous), let b2 = to.1?.advanced(by: previous) {
            for j in 0..<count {
                t1[j] = b1[j] + f1[j]
                t2[j] = b2[j] + f2[j]
            }
        } else {
            t1.update(from: f1, count: count)
            t2.update(from: f2, count: count)
        }
    }

    /// Every trial's order value over its in-sample sums.
    private static func orders(
        sums: UnsafeMutableBufferPointer<Double>,
        squares: UnsafeMutableBufferPointer<Double>,
        shifts: UnsafeBufferPointer<Double>,
        scale: Double,
        into orders: UnsafeMutableBufferPointer<Double>
    ) {
        guard let s = sums.baseAddress, let q = squares.baseAddress, let c = shifts.baseAddress, let o = orders.baseAddress else { return }
        for j in 0..<orders.count { o[j] = order(sum: s[j], squares: q[j], shift: c[j], scale: scale) }
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
