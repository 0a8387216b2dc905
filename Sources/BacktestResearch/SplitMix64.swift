/// SplitMix64 (Steele, Lea and Flood 2014): a small seedable generator whose sequence is the
/// same on every machine and in every language that implements it (the reference script in
/// `Tools/robustness` does), so a bootstrap or a synthetic matrix can be reproduced exactly.
///
/// A copy of the one in `BacktestOptimize`, kept internal so this module depends on nothing.
struct SplitMix64 {
    private var state: UInt64

    /// Creates a generator from `seed`.
    init(seed: UInt64) {
        state = seed
    }

    /// The next 64 random bits.
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }

    /// A uniform double in [0, 1): the top 53 bits times 2⁻⁵³ (exact).
    mutating func nextUniform() -> Double {
        Double(next() >> 11) * 0x1.0p-53
    }

    /// A uniform index in 0..<`bound` without modulo bias: draws below 2⁶⁴ mod `bound` are
    /// rejected and the next draw taken, then the draw mod `bound` is returned.
    mutating func nextIndex(below bound: Int) -> Int {
        let n = UInt64(bound)
        let rejectBelow = (0 &- n) % n
        while true {
            let x = next()
            if x >= rejectBelow { return Int(x % n) }
        }
    }
}
