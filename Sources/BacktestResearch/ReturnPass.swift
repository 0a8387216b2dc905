import CReturnSums

/// The instructions the pass of ``SampleSummary/init(returnsOf:range:)`` runs its groups of four
/// returns on. Both do the same operations lane for lane and give the same bits; the AVX one
/// does each group in one 256-bit register rather than two 128-bit ones, about a quarter
/// faster (BENCHMARKS.md, "Ninth round"). Swift builds for the baseline x86-64 (SSE2), so the
/// AVX pass is a C function (`CReturnSums`) chosen at run time.
enum ReturnPass: Sendable, CaseIterable {
    /// SIMD2 in Swift: every CPU.
    case portable
    /// 256-bit registers, for CPUs and operating systems that run AVX.
    case avx

    /// The pass this machine runs: AVX where it can, else the portable one.
    static let fastest: ReturnPass = bt_return_sums_avx_available() ? .avx : .portable

    /// Whether this machine runs the AVX pass.
    static var avxAvailable: Bool { fastest == .avx }

    /// The groups of four returns of `e[0...n]` in AVX registers (call only when
    /// ``avxAvailable``): what they leave for the scalar tail (``BTReturnSums``: Σr, Σr², the
    /// smallest equity divided by, the largest product of two paired, the first period not read).
    @inline(__always)
    static func avxGroups(_ e: UnsafePointer<Double>, _ n: Int) -> BTReturnSums {
        bt_return_sums_avx(e, n)
    }
}
