/// A reproducible matrix of per-period returns for tests and benchmarks, generated with
/// arithmetic only (no `log`, `cos` or `exp`), so the reference script in `Tools/robustness`
/// produces the same numbers bit for bit.
///
/// One ``SplitMix64`` generator seeded with `seed`; periods in order, and within a period the
/// trials in order; for each, four uniforms u = (next() >> 11) · 2⁻⁵³ and
/// z = ((u₁ + u₂) + (u₃ + u₄)) − 2 (mean 0, variance 1/3), then
/// r = (driftⱼ + 0.01·z) + skewⱼ·(z·z − 1/3) with driftⱼ = 0.0001·((j mod 11) − 5) and
/// skewⱼ = 0.002·((j mod 5) − 2).
public enum SyntheticReturns {
    /// `trials` columns of `periods` returns each.
    public static func columns(periods: Int, trials: Int, seed: UInt64) -> [[Double]] {
        var generator = SplitMix64(seed: seed)
        var columns = [[Double]](repeating: [], count: trials)
        for j in 0..<trials { columns[j].reserveCapacity(periods) }
        let drift = (0..<trials).map { 0.0001 * Double($0 % 11 - 5) }
        let skew = (0..<trials).map { 0.002 * Double($0 % 5 - 2) }
        for _ in 0..<periods {
            for j in 0..<trials {
                let u1 = generator.nextUniform()
                let u2 = generator.nextUniform()
                let u3 = generator.nextUniform()
                let u4 = generator.nextUniform()
                let z = ((u1 + u2) + (u3 + u4)) - 2.0
                columns[j].append((drift[j] + 0.01 * z) + skew[j] * (z * z - 1.0 / 3.0))
            }
        }
        return columns
    }
}
