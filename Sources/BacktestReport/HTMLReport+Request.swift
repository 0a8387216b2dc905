import BacktestAPI
import BacktestEngine
import Foundation

extension HTMLReport {
    /// A report titled after the request: `sma_cross(fast=10,slow=30) on GOOG`, with dates,
    /// bars and the broker settings under it.
    public static func make(request: BacktestRequest, source: String, bars: Bars, result: BacktestResult) -> HTMLReport {
        // Every parameter the run used: the given ones, else the strategy's defaults, in the catalog's order.
        let specs = (try? request.strategyParameters()) ?? []
        let params = specs.compactMap { spec in (request.params[spec.name] ?? spec.defaultValue).map { "\(spec.name)=\($0)" } }
            .joined(separator: ",")
        var subtitle = bars.count > 0 ? "\(dateRange(bars)) · \(bars.count) bars" : ""
        subtitle += settingsSummary(request)
        return HTMLReport(title: "\(request.strategy)(\(params)) on \(source)", subtitle: subtitle, bars: bars, result: result, cash: request.cash)
    }

    /// ` · cash 10000 · commission 0.002 · SL 0.4 % · TP 0.8 %`: the settings that differ from
    /// nothing at all (cash always).
    public static func settingsSummary(_ request: BacktestRequest) -> String {
        var text = " · cash \(short(request.cash))"
        if request.commission.relative != 0 || request.commission.fixed != 0 {
            text += " · commission \(request.commission.fixed != 0 ? "\(short(request.commission.fixed))+" : "")\(short(request.commission.relative))"
        }
        if let sl = request.slPct { text += " · SL \(short(sl * 100)) %" }
        if let tp = request.tpPct { text += " · TP \(short(tp * 100)) %" }
        return text
    }

    /// `2004-08-19 – 2013-03-01`.
    public static func dateRange(_ bars: Bars) -> String {
        guard let first = bars.timestamps.first, let last = bars.timestamps.last else { return "" }
        return "\(Timestamp.formatDate(first)) – \(Timestamp.formatDate(last))"
    }

    /// `10000`, `0.002`, `0.5`.
    static func short(_ value: Double) -> String {
        String(format: "%g", value)
    }
}
