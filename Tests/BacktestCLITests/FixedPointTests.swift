import Foundation
import Testing

@testable import backtest

/// `FixedPoint` prints what `String(format:)` printed, byte for byte: the exact binary value
/// rounded to N decimals, ties to even, the sign of negative values (and of -0) kept.
@Suite("fixed-point text")
struct FixedPointTests {
    /// Values where rounding is decided by the last bits: ties, near-ties, the classic
    /// `2.675`, the sign of zero, subnormals, the ends of the exact range.
    static let edges: [Double] = [
        0, -0.0, 0.5, 1.5, 2.5, -0.5, -2.5, 0.05, 0.15, 0.25, 0.35, 0.45, 1.005, 2.675, 1.115, 0.125, 0.375, -0.125, 9.995, 99.995,
        0.0049999999999999, 0.0050000000000001, 1e-7, 5e-7, 4.9999999e-7, -4e-7, 123_456.789_012_5, 0.000_000_5, 1.0 / 3.0, 2.0 / 3.0,
        .leastNonzeroMagnitude, .leastNormalMagnitude, -.leastNonzeroMagnitude, 0x1p52, 0x1p52 + 0.5, 0x1p53 - 1, -(0x1p53 - 1), 0x1p53,
        1e300, -1e300, .infinity, -.infinity, .nan, 4_294_967_296.5, 18_446_744.073_709_551_615, 12.25, 4000, 3116.0,
    ]

    @Test("edge values, 0 to 9 decimals")
    func edges() {
        for value in Self.edges {
            for decimals in 0...9 {
                #expect(FixedPoint.string(value, decimals: decimals) == String(format: "%.\(decimals)f", value), "\(value) \(decimals)")
            }
        }
    }

    @Test("random values of every magnitude, and exact ties", arguments: [0, 1, 2, 6])
    func random(_ decimals: Int) {
        var generator = SystemRandomNumberGenerator()
        var scale: UInt64 = 1
        for _ in 0..<decimals { scale *= 10 }
        for _ in 0..<20_000 {
            // A random bit pattern below 2^53 in magnitude (biased exponent up to 1075), either sign.
            let bits = UInt64.random(in: 0..<(1076 << 52), using: &generator) | (Bool.random(using: &generator) ? 1 << 63 : 0)
            let value = Double(bitPattern: bits)
            #expect(FixedPoint.string(value, decimals: decimals) == String(format: "%.\(decimals)f", value), "\(bits)")
            // A value of the size the commands print.
            let plain = Double.random(in: -1_000_000...1_000_000, using: &generator)
            #expect(FixedPoint.string(plain, decimals: decimals) == String(format: "%.\(decimals)f", plain), "\(plain)")
            // k + 1/2 units of the last printed digit: a tie when it is exact in binary.
            let tie = (Double(Int.random(in: -1_000_000...1_000_000, using: &generator)) + 0.5) / Double(scale)
            #expect(FixedPoint.string(tie, decimals: decimals) == String(format: "%.\(decimals)f", tie), "\(tie)")
        }
    }

    @Test("two digits as %02d", arguments: [-100, -10, -9, -1, 0, 1, 9, 10, 59, 99, 100, 12_345])
    func twoDigits(_ value: Int) {
        #expect(FixedPoint.twoDigits(value) == String(format: "%02d", value))
        #expect(FixedPoint.twoDigits(Int64(value)) == String(format: "%02lld", Int64(value)))
    }

    @Test("outside the exact range it is String(format:) itself")
    func fallback() {
        #expect(FixedPoint.exact(.nan, decimals: 2) == nil)
        #expect(FixedPoint.exact(0x1p53, decimals: 2) == nil)
        #expect(FixedPoint.exact(1, decimals: 10) == nil)
        #expect(FixedPoint.exact(0x1p53 - 1, decimals: 9) == nil)  // 19 digits before the point do not fit in 64 bits with 9 after
        #expect(FixedPoint.exact(-2.5, decimals: 0) == "-2")
    }
}
