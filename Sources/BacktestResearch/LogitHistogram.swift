import Foundation

/// The logits λ of every CSCV split counted in bins of equal width: what the page's
/// histogram draws.
///
/// Bin k holds the λ in (``lower`` + k·``width``, ``lower`` + (k + 1)·``width``]: right-closed,
/// with 0 on an edge, so the bins at or below 0 hold exactly the splits PBO counts (λ ≤ 0).
/// ``lower`` is the multiple of ``width`` just below the smallest λ; the last bin holds the
/// largest.
public struct LogitHistogram: Sendable, Equatable, Codable {
    /// The bins' width. Default 0.25.
    public static let defaultWidth = 0.25

    /// The left (open) edge of the first bin.
    public var lower: Double
    /// Each bin's width.
    public var width: Double
    /// The splits in each bin; they add up to the number of splits.
    public var counts: [Int]

    /// The histogram of `logits` (finite values; others are left out) in bins of `width` (> 0).
    public init(_ logits: [Double], width: Double = defaultWidth) {
        self.width = width > 0 ? width : Self.defaultWidth
        let finite = logits.filter(\.isFinite)
        guard let smallest = finite.min(), let largest = finite.max() else {
            lower = 0
            counts = []
            return
        }
        // Bin edges are whole multiples of the width: λ falls in the bin whose right edge is
        // ⌈λ / width⌉ · width.
        let first = Int((smallest / self.width).rounded(.up)) - 1
        let last = Int((largest / self.width).rounded(.up)) - 1
        lower = Double(first) * self.width
        var counts = [Int](repeating: 0, count: last - first + 1)
        for value in finite { counts[Int((value / self.width).rounded(.up)) - 1 - first] += 1 }
        self.counts = counts
    }

    /// The splits in the bins whose right edge is at or below 0 (λ ≤ 0).
    public var atOrBelowZero: Int {
        // Bin k's right edge is (first + k + 1) · width.
        let first = Int((lower / width).rounded())
        var total = 0
        for (k, count) in counts.enumerated() where first + k + 1 <= 0 { total += count }
        return total
    }
}
