import BacktestEngine
import Testing

/// The one seeded generator the searches and the tests use gives the reference sequence.
@Suite("SplitMix64")
struct SplitMix64Tests {
    /// The first outputs for seed 1234567 of the reference implementation (splitmix64.c by
    /// Sebastiano Vigna, the values the published descriptions list).
    @Test func matchesTheReferenceSequence() {
        var generator = SplitMix64(seed: 1_234_567)
        let first = (0..<5).map { _ in generator.next() }
        #expect(
            first == [
                6_457_827_717_110_365_317, 3_203_168_211_198_807_973, 9_817_491_932_198_370_423, 4_593_380_528_125_082_431,
                16_408_922_859_458_223_821,
            ]
        )
    }

    @Test func theSameSeedGivesTheSameSequence() {
        var a = SplitMix64(seed: 42)
        var b = SplitMix64(seed: 42)
        var c = SplitMix64(seed: 43)
        let x = (0..<8).map { _ in a.next() }
        #expect(x == (0..<8).map { _ in b.next() })
        #expect(x != (0..<8).map { _ in c.next() })
    }
}
