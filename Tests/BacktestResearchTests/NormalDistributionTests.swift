import BacktestResearch
import Testing

@Suite("normal distribution")
struct NormalDistributionTests {
    /// Φ⁻¹ at probabilities where its value is known to 17 digits (scipy.stats.norm.ppf).
    @Test(arguments: [
        (0.5, 0.0),
        (0.975, 1.959963984540054),
        (0.025, -1.959963984540054),
        (0.9, 1.2815515655446004),
        (0.99, 2.3263478740408408),
        (1e-10, -6.361340902404056),
        (0.9999, 3.7190164854556804),
    ])
    func quantileMatchesKnownValues(_ p: Double, _ expected: Double) throws {
        let x = try #require(NormalDistribution.quantile(p))
        #expect(abs(x - expected) <= 1e-14 * max(1, abs(expected)), "Φ⁻¹(\(p)) = \(x), expected \(expected)")
    }

    @Test func quantileInvertsTheCDF() throws {
        for i in 1..<1000 {
            let p = Double(i) / 1000
            let x = try #require(NormalDistribution.quantile(p))
            #expect(abs(NormalDistribution.cdf(x) - p) <= 2e-16 * max(1, 1 / p), "p = \(p)")
        }
    }

    @Test func quantileRefusesProbabilitiesOutsideTheOpenInterval() {
        #expect(NormalDistribution.quantile(0) == nil)
        #expect(NormalDistribution.quantile(1) == nil)
        #expect(NormalDistribution.quantile(.nan) == nil)
    }
}
