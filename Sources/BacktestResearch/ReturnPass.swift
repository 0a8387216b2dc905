import CReturnSums

/// The instructions the pass of ``SampleSummary/init(returnsOf:range:)`` runs its groups of four
/// returns on. Both do the same operations lane for lane and give the same bits; the AVX one
/// does each group in one 256-bit register (one division for four returns) rather than two
/// 128-bit ones (BENCHMARKS.md, "Ninth round" and "Tenth round"). Swift builds for the baseline
/// x86-64 (SSE2), so the AVX pass is a C function (`CReturnSums`) chosen at run time.
enum ReturnPass: Sendable, CaseIterable {
    /// SIMD2 in Swift: every CPU.
    case portable
    /// 256-bit registers, for CPUs and operating systems that run AVX.
    case avx

    /// The pass this machine runs: AVX where it can, else the portable one.
    static let fastest: ReturnPass = bt_return_sums_avx_available() ? .avx : .portable

    /// Whether this machine runs the AVX pass.
    static var avxAvailable: Bool { fastest == .avx }

    /// The sums of the returns of `equity` over each range `bounds[k]..<bounds[k + 1]`, into
    /// `out[k]` (``BTRangeSums``: Σr, Σr², the smallest equity divided by). `bounds` holds
    /// `out.count + 1` non-decreasing offsets, and `equity` the value at the last one (the
    /// caller checks). The AVX pass is taken only where this machine has it.
    func sums(
        of equity: UnsafePointer<Double>,
        bounds: UnsafeBufferPointer<Int>,
        into out: UnsafeMutableBufferPointer<BTRangeSums>
    ) {
        guard let bound = bounds.baseAddress, let sums = out.baseAddress else { return }
        if self == .avx && Self.avxAvailable {
            bt_return_sums_avx(equity, bound, out.count, sums)
        } else {
            for k in 0..<out.count {
                sums[k] = Self.portableSums(equity + bound[k], bound[k + 1] &- bound[k])
            }
        }
    }

    /// One range's sums in SIMD2 registers (any CPU): the operations of the C pass, lane for
    /// lane (its header says how the periods are grouped).
    private static func portableSums(_ e: UnsafePointer<Double>, _ n: Int) -> BTRangeSums {
        let raw = UnsafeRawPointer(e)
        var a1 = SIMD2<Double>.zero
        var b1 = SIMD2<Double>.zero
        var a2 = SIMD2<Double>.zero
        var b2 = SIMD2<Double>.zero
        var low = SIMD2<Double>(repeating: .infinity)
        var i = 0
        while i &+ 4 <= n {
            let p0 = raw.loadUnaligned(fromByteOffset: i &* 8, as: SIMD2<Double>.self)
            let c0 = raw.loadUnaligned(fromByteOffset: (i &+ 1) &* 8, as: SIMD2<Double>.self)
            let p1 = raw.loadUnaligned(fromByteOffset: (i &+ 2) &* 8, as: SIMD2<Double>.self)
            let c1 = raw.loadUnaligned(fromByteOffset: (i &+ 3) &* 8, as: SIMD2<Double>.self)
            i &+= 4
            let d0 = c0 - p0
            let d1 = c1 - p1
            // Flat: four differences of exactly +0 (x − x is +0; a NaN is not 0 and flows on).
            let bits = unsafeBitCast(d0, to: SIMD2<UInt64>.self) | unsafeBitCast(d1, to: SIMD2<UInt64>.self)
            if bits[0] | bits[1] == 0 { continue }
            let r0 = d0 / p0
            let r1 = d1 / p1
            a1 += r0
            b1 += r1
            a2 += r0 * r0
            b2 += r1 * r1
            // Written as selections (not pointwiseMin), so they compile to minpd.
            low = low.replacing(with: p0, where: p0 .< low)
            low = low.replacing(with: p1, where: p1 .< low)
        }
        var out = BTRangeSums(sum: (a1 + b1).sum(), sumOfSquares: (a2 + b2).sum(), lowest: low.min())
        while i < n {
            let p = e[i]
            let c = e[i &+ 1]
            i &+= 1
            guard c != p else { continue }
            let r = (c - p) / p
            out.sum += r
            out.sumOfSquares += r * r
            if p < out.lowest { out.lowest = p }
        }
        return out
    }
}
