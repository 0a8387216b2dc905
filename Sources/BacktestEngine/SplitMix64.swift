/// A small, fast, seedable random number generator (SplitMix64, Steele, Lea and Flood 2014,
/// with the published constants): the same seed gives the same sequence on every machine, so
/// a random search, a fuzz test or a random walk in a test is reproducible.
///
/// ```swift
/// var generator = SplitMix64(seed: 7)
/// let x = Double.random(in: 0..<1, using: &generator)
/// ```
public struct SplitMix64: RandomNumberGenerator, Sendable {
    private var state: UInt64

    /// Creates a generator from `seed`.
    public init(seed: UInt64) {
        state = seed
    }

    /// The next 64 random bits.
    public mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}
