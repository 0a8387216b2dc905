import BacktestEngine

/// Looks for bars that parse but look wrong: long gaps between bars and one-bar moves
/// larger than a threshold. The findings are warnings (the bars are still imported).
///
/// ```swift
/// let warnings = BarQualityCheck().warnings(for: bars)
/// ```
public struct BarQualityCheck: Sendable {
    /// Thresholds.
    public struct Configuration: Sendable {
        /// Warn when more than this many trading days (Monday to Friday) lie between two
        /// consecutive bars with no bar. Default `5`.
        public var maxGapTradingDays: Int
        /// Warn when one bar's close moves more than this fraction from the previous
        /// close (`0.5` = 50%). Default `0.5`.
        public var maxMove: Double
        /// Warnings listed individually; further ones are only counted. Default `20`.
        public var maxListed: Int

        /// Creates thresholds with the defaults above.
        public init(maxGapTradingDays: Int = 5, maxMove: Double = 0.5, maxListed: Int = 20) {
            self.maxGapTradingDays = maxGapTradingDays
            self.maxMove = maxMove
            self.maxListed = maxListed
        }
    }

    /// One suspicious spot.
    public struct Warning: Sendable, Equatable, CustomStringConvertible {
        /// ``Code/gap`` or ``Code/largeMove``.
        public var code: Code
        /// Timestamp of the bar after the gap, or of the bar that moved.
        public var timestamp: Int64
        /// What is suspicious.
        public var message: String

        /// Creates a warning.
        public init(code: Code, timestamp: Int64, message: String) {
            self.code = code
            self.timestamp = timestamp
            self.message = message
        }

        public var description: String { message }

        /// What a warning is about.
        public struct Code: Hashable, Sendable, CustomStringConvertible {
            private enum Base: String, Sendable {
                case gap
                case largeMove = "large_move"
            }

            private let base: Base
            private init(_ base: Base) { self.base = base }

            /// More trading days between two bars than ``Configuration/maxGapTradingDays``.
            public static let gap = Code(.gap)
            /// A one-bar move larger than ``Configuration/maxMove``.
            public static let largeMove = Code(.largeMove)

            /// `gap` or `large_move`.
            public var rawValue: String { base.rawValue }

            public var description: String { rawValue }
        }
    }

    /// The findings of one check.
    public struct Report: Sendable, Equatable {
        /// The first ``Configuration/maxListed`` warnings, in time order.
        public var warnings: [Warning]
        /// All warnings found, listed or not.
        public var total: Int

        /// Creates a report.
        public init(warnings: [Warning] = [], total: Int = 0) {
            self.warnings = warnings
            self.total = total
        }
    }

    /// The thresholds in use.
    public var configuration: Configuration

    /// Creates a check.
    public init(configuration: Configuration = Configuration()) {
        self.configuration = configuration
    }

    /// Checks `bars`.
    public func report(for bars: Bars) -> Report {
        var report = Report()
        func add(_ warning: Warning) {
            report.total += 1
            if report.warnings.count < configuration.maxListed { report.warnings.append(warning) }
        }
        let t = bars.timestamps
        let c = bars.close
        guard t.count > 1 else { return report }
        for i in 1..<t.count {
            let missing = Self.tradingDaysBetween(t[i - 1], t[i])
            if missing > configuration.maxGapTradingDays {
                add(
                    Warning(
                        code: .gap,
                        timestamp: t[i],
                        message: "gap of \(missing) trading days with no bar between \(Self.label(t[i - 1])) and \(Self.label(t[i]))"
                    )
                )
            }
            let move = c[i] / c[i - 1] - 1
            if abs(move) > configuration.maxMove {
                let percent = (move * 1000).rounded() / 10
                add(
                    Warning(
                        code: .largeMove,
                        timestamp: t[i],
                        message: "close moved \(percent > 0 ? "+" : "")\(percent)% in one bar at \(Self.label(t[i])) "
                            + "(\(c[i - 1]) -> \(c[i])); an unadjusted split? (--adjust uses Adj Close)"
                    )
                )
            }
        }
        return report
    }

    /// Weekdays strictly between the days of `a` and `b`.
    static func tradingDaysBetween(_ a: Int64, _ b: Int64) -> Int {
        let d0 = Timestamp.dayNumber(a)
        let d1 = Timestamp.dayNumber(b)
        guard d1 - d0 > 1 else { return 0 }
        // Weekdays in [d0 + 1, d1 - 1]: count weekdays in [0, d) differences.
        return Int(weekdaysBefore(d1) - weekdaysBefore(d0 + 1))
    }

    /// Weekdays among the days `[epoch-anchor, day)`, for differences only.
    private static func weekdaysBefore(_ day: Int64) -> Int64 {
        // 1970-01-05 (day 4) is a Monday; shift so weeks start on Monday.
        let shifted = day - 4
        let weeks = shifted >= 0 ? shifted / 7 : (shifted - 6) / 7
        let rest = shifted - weeks * 7
        return weeks * 5 + min(rest, 5)
    }

    private static func label(_ t: Int64) -> String {
        t % 86_400 == 0 ? Timestamp.formatDate(t) : Timestamp.format(t)
    }
}
