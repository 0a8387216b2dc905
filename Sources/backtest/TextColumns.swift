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

    /// `cells` in one line, `separator` between them: `cells.joined(separator:)`, written out.
    ///
    /// The standard library's `joined(separator:)` on an array of strings is not specialized
    /// into this module; its generic body looks up the array's associated types at run time,
    /// and the first such lookup of a process scans all of the binary's protocol conformance
    /// records (about 0.25 ms of a `batch`: BENCHMARKS.md, "Seventh round"). The tables that
    /// commands run in loops print (`batch`) use this instead.
    static func line(_ cells: [String], separator: String) -> String {
        var line = ""
        for (index, cell) in cells.enumerated() {
            if index > 0 { line += separator }
            line += cell
        }
        return line
    }
}
