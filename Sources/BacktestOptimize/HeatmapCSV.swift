import BacktestEngine

/// The heatmap as CSV: one row per evaluated combination, in run order, the parameters then
/// the reported statistics; a NaN is an empty cell (as pandas writes it).
///
/// ```
/// fast,slow,sqn,trades
/// 5,10,1.234,48
/// 5,20,,0
/// ```
public struct HeatmapCSV: Sendable {
    /// The column names.
    public let columns: [String]

    /// Columns for these parameters and statistics.
    public init(parameters: [String], statistics: [String]) {
        columns = parameters + statistics
    }

    /// The header line, with its newline.
    public var header: String { columns.joined(separator: ",") + "\n" }

    /// The lines of `rows`, each with its newline.
    public func lines(_ rows: [HeatmapRow]) -> String {
        var text = ""
        text.reserveCapacity(rows.count * 8 * columns.count)
        for row in rows {
            var first = true
            for value in row.values {
                if !first { text += "," }
                first = false
                text += value.description
            }
            for value in row.statistics {
                if !first { text += "," }
                first = false
                if !value.isNaN { text += Self.format(value) }
            }
            text += "\n"
        }
        return text
    }

    /// The shortest text that reads back as the same double (`Infinity` for infinities, an
    /// empty string for NaN).
    public static func format(_ value: Double) -> String {
        if value.isNaN { return "" }
        if value.isInfinite { return value > 0 ? "Infinity" : "-Infinity" }
        if value == value.rounded(), abs(value) < 1e15 { return String(Int64(value)) }
        return "\(value)"
    }
}
