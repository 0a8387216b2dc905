import Foundation

extension StatisticDefinition {
    /// The table as Markdown (`| key | name | definition | few trades |`), the body of
    /// `docs/statistics.md` between its markers and `backtest stats --explain --format markdown`.
    public static func markdownTable() -> String {
        var out = "| key | name | definition | few trades |\n|---|---|---|---|\n"
        for d in all {
            let cells = ["`\(d.key)`", d.name, d.definition, d.fewTrades ? "yes" : ""].map { $0.replacingOccurrences(of: "|", with: "\\|") }
            out += "| " + cells.joined(separator: " | ") + " |\n"
        }
        return out
    }

    /// The table as the pages read it (their data's `definitions`): `{"few_trades_note": …,
    /// "statistics": {KEY: {"name", "definition", "few_trades"}}}`, keys in table order.
    public static let pageJSON: String = {
        func string(_ text: String) -> String {
            (try? String(decoding: JSONEncoder().encode(text), as: UTF8.self)) ?? "\"\""
        }
        let entries = all.map { d in
            "\(string(d.key)):{\"name\":\(string(d.name)),\"definition\":\(string(d.definition)),\"few_trades\":\(d.fewTrades)}"
        }
        return "{\"few_trades_note\":\(string(fewTradesNote)),\"statistics\":{\(entries.joined(separator: ","))}}"
    }()
}
