import Foundation

/// printf's `%.Nf` and `%02d` for the numbers the start-up commands print, without
/// `String(format:)`.
///
/// Foundation's first `String(format:)` with a `Double` or an `Int` argument casts it to
/// `CVarArg`, and that first dynamic cast scans every protocol conformance record of this large
/// static binary (BENCHMARKS.md, "Start-up"). `%.Nf` rounds the double's exact binary value to
/// N decimals, ties to even, which Swift's own number formatting does not reproduce; this does
/// it with integer arithmetic on the significand. `FixedPointTests` holds it to
/// `String(format:)`, byte for byte.
enum FixedPoint {
    /// `String(format: "%.<decimals>f", value)`.
    static func string(_ value: Double, decimals: Int) -> String {
        exact(value, decimals: decimals) ?? String(format: "%.\(decimals)f", value)
    }

    /// `String(format: "%02d", value)`: at least two characters, zero-padded when non-negative.
    static func twoDigits<T: BinaryInteger>(_ value: T) -> String {
        value >= 0 && value < 10 ? "0" + String(value) : String(value)
    }

    /// `%.Nf` of `value` by integer arithmetic; `nil` outside what it covers (not finite,
    /// magnitude 2^53 or more, more than 9 decimals).
    static func exact(_ value: Double, decimals: Int) -> String? {
        guard value.isFinite, value.magnitude < 0x1p53, (0...9).contains(decimals) else { return nil }
        let magnitude = value.magnitude
        // magnitude = significand × 2^-shift exactly, 0 <= shift <= 1074.
        let biased = Int(magnitude.exponentBitPattern)
        let significand = magnitude.significandBitPattern | (biased == 0 ? 0 : 1 << 52)
        let shift = biased == 0 ? 1074 : 1075 - biased
        var power: UInt64 = 1
        for _ in 0..<decimals { power *= 10 }
        guard let digits = rounded(significand.multipliedFullWidth(by: power), shift: shift) else { return nil }
        var text = String(digits)
        if text.count <= decimals { text = String(repeating: "0", count: decimals + 1 - text.count) + text }
        if decimals > 0 { text.insert(".", at: text.index(text.endIndex, offsetBy: -decimals)) }
        return value.sign == .minus ? "-" + text : text
    }

    /// `scaled / 2^shift` (a 128-bit numerator) rounded to the nearest integer, ties to even;
    /// `nil` when that does not fit in 64 bits.
    private static func rounded(_ scaled: (high: UInt64, low: UInt64), shift: Int) -> UInt64? {
        let (high, low) = scaled
        if shift == 0 { return high == 0 ? low : nil }
        // The numerator is below 2^87 (a 53-bit significand times at most 10^9), so from a shift
        // of 88 on it is less than half of 2^shift: it rounds to 0.
        if shift >= 88 { return 0 }
        let quotient: (high: UInt64, low: UInt64)
        let remainder: (high: UInt64, low: UInt64)
        let half: (high: UInt64, low: UInt64)
        if shift >= 64 {
            let s = UInt64(shift - 64)
            quotient = (0, high >> s)
            remainder = (high & ((1 << s) - 1), low)
            half = s == 0 ? (0, 1 << 63) : (1 << (s - 1), 0)
        } else {
            let s = UInt64(shift)
            quotient = (high >> s, low >> s | high << (64 - s))
            remainder = (0, low & ((1 << s) - 1))
            half = (0, 1 << (s - 1))
        }
        guard quotient.high == 0 else { return nil }
        let above = remainder.high != half.high ? remainder.high > half.high : remainder.low > half.low
        let tie = remainder == half
        if above || (tie && quotient.low & 1 == 1) {
            return quotient.low == .max ? nil : quotient.low + 1
        }
        return quotient.low
    }
}
