import BacktestEngine
import Foundation

/// Renders statistics the way backtesting.py prints them: labels left, values right-aligned.
enum StatsTable {
    static func render(_ s: Statistics, strategy: String, params: [String: ParameterValue]) -> String {
        var rows: [(String, String)] = [
            ("Start", time(s.start)),
            ("End", time(s.end)),
            ("Duration", duration(s.durationDays)),
            ("Exposure Time [%]", number(s.exposureTimePct)),
            ("Equity Final [$]", number(s.equityFinal)),
            ("Equity Peak [$]", number(s.equityPeak)),
        ]
        if s.commissions != 0 { rows.append(("Commissions [$]", number(s.commissions))) }
        rows += [
            ("Return [%]", number(s.returnPct)),
            ("Buy & Hold Return [%]", number(s.buyHoldReturnPct)),
            ("Return (Ann.) [%]", number(s.returnAnnPct)),
            ("Volatility (Ann.) [%]", number(s.volatilityAnnPct)),
            ("CAGR [%]", number(s.cagrPct)),
            ("Sharpe Ratio", number(s.sharpeRatio)),
            ("Sortino Ratio", number(s.sortinoRatio)),
            ("Calmar Ratio", number(s.calmarRatio)),
            ("Alpha [%]", number(s.alphaPct)),
            ("Beta", number(s.beta)),
            ("Max. Drawdown [%]", number(s.maxDrawdownPct)),
            ("Avg. Drawdown [%]", number(s.avgDrawdownPct)),
            ("Max. Drawdown Duration", duration(s.maxDrawdownDurationDays)),
            ("Avg. Drawdown Duration", duration(s.avgDrawdownDurationDays)),
            ("# Trades", String(s.trades)),
            ("Win Rate [%]", number(s.winRatePct)),
            ("Best Trade [%]", number(s.bestTradePct)),
            ("Worst Trade [%]", number(s.worstTradePct)),
            ("Avg. Trade [%]", number(s.avgTradePct)),
            ("Max. Trade Duration", duration(s.maxTradeDurationDays)),
            ("Avg. Trade Duration", duration(s.avgTradeDurationDays)),
            ("Profit Factor", number(s.profitFactor)),
            ("Expectancy [%]", number(s.expectancyPct)),
            ("SQN", number(s.sqn)),
            ("Kelly Criterion", number(s.kellyCriterion)),
        ]
        let args = TextColumns.line(params.keys.sorted().map { "\($0)=\(params[$0]!)" }, separator: ",")
        rows.append(("_strategy", args.isEmpty ? strategy : "\(strategy)(\(args))"))
        let labelWidth = rows.map(\.0.count).max() ?? 0
        let valueWidth = rows.map(\.1.count).max() ?? 0
        var out = ""
        for (label, value) in rows {
            out += BatchSummary.padded(label, to: labelWidth) + "  "
            out += String(repeating: " ", count: valueWidth - value.count) + value + "\n"
        }
        return out
    }

    static func time(_ t: Int64) -> String {
        // Byte for byte, not `replacingOccurrences`, whose NSString bridge costs start-up time
        // (a conformance scan); the text is ASCII.
        String(decoding: Timestamp.format(t).utf8.map { $0 == UInt8(ascii: "T") ? UInt8(ascii: " ") : $0 }, as: UTF8.self)
    }

    /// `3116 days 00:00:00`, like a pandas Timedelta.
    static func duration(_ days: Double) -> String {
        guard days.isFinite else { return "NaT" }
        let total = Int64((days * 86_400).rounded())
        let d = total / 86_400
        let rest = total % 86_400
        return "\(d) days \(FixedPoint.twoDigits(rest / 3600)):\(FixedPoint.twoDigits(rest / 60 % 60)):\(FixedPoint.twoDigits(rest % 60))"
    }

    /// Up to six decimals, trailing zeros dropped; NaN and infinities spelled out.
    static func number(_ v: Double) -> String {
        if v.isNaN { return "NaN" }
        if v.isInfinite { return v > 0 ? "inf" : "-inf" }
        var s = FixedPoint.string(v, decimals: 6)
        while s.hasSuffix("0") { s.removeLast() }
        if s.hasSuffix(".") { s.removeLast() }
        return s == "-0" ? "-0.0" : s
    }
}
