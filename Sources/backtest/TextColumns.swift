/// Rows of text cells as aligned columns, two spaces apart: the tables of `optimize`.
enum TextColumns {
    /// The rows, each padded to its column's widest cell (numbers right-aligned, text left),
    /// one line each.
    static func render(_ rows: [[String]], alignLeft: Bool = false) -> String {
        let widths = (rows.first ?? []).indices.map { c in rows.map { c < $0.count ? $0[c].count : 0 }.max() ?? 0 }
        return rows.map { row in
            row.enumerated().map { c, text in
                let pad = String(repeating: " ", count: max(0, widths[c] - text.count))
                return alignLeft ? text + pad : pad + text
            }.joined(separator: "  ")
        }.joined(separator: "\n") + "\n"
    }
}
