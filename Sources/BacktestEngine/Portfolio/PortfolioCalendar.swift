/// The calendar of a portfolio: the sorted union of its tickers' bar timestamps, and where
/// each ticker's own bars fall on it (PORTFOLIO.md section 2).
struct PortfolioCalendar: Sendable {
    /// The calendar's timestamps, ascending.
    let dates: [Int64]
    /// `own[i][b]`: ticker `i`'s own bar index on calendar bar `b`, or -1 when it has no bar.
    let own: [[Int32]]

    init(_ bars: [Bars]) {
        var dates = bars.first?.timestamps ?? []
        for b in bars.dropFirst() where b.timestamps != dates {
            dates = Self.union(dates, b.timestamps)
        }
        self.dates = dates
        own = bars.map { Self.ownIndices(of: $0.timestamps, on: dates) }
    }

    /// The number of calendar bars.
    var count: Int { dates.count }

    /// The sorted union of two ascending arrays without duplicates.
    static func union(_ a: [Int64], _ b: [Int64]) -> [Int64] {
        var out: [Int64] = []
        out.reserveCapacity(max(a.count, b.count))
        var i = 0
        var j = 0
        while i < a.count || j < b.count {
            if j == b.count || (i < a.count && a[i] < b[j]) {
                out.append(a[i])
                i += 1
            } else if i == a.count || b[j] < a[i] {
                out.append(b[j])
                j += 1
            } else {
                out.append(a[i])
                i += 1
                j += 1
            }
        }
        return out
    }

    /// For each calendar date, the index of the same timestamp in `own`, or -1.
    static func ownIndices(of own: [Int64], on dates: [Int64]) -> [Int32] {
        if own == dates { return (0..<Int32(dates.count)).map { $0 } }
        var out = [Int32](repeating: -1, count: dates.count)
        var k = 0
        for b in dates.indices where k < own.count && own[k] == dates[b] {
            out[b] = Int32(k)
            k += 1
        }
        return out
    }
}

extension RebalanceSchedule {
    /// Whether calendar bar `b` is a decision bar.
    func isDecisionBar(_ b: Int, dates: [Int64]) -> Bool {
        if b == 0 { return true }
        switch self {
        case .never: return false
        case .everyNBars(let n): return b % n == 0
        case .weekly: return Self.mondayWeek(dates[b]) != Self.mondayWeek(dates[b - 1])
        case .monthly: return Self.month(dates[b]) != Self.month(dates[b - 1])
        case .quarterly: return Self.month(dates[b]) / 3 != Self.month(dates[b - 1]) / 3
        }
    }

    /// Weeks starting on Monday, numbered from the epoch (1970-01-01 was a Thursday): equal
    /// exactly when the ISO (week-year, week) are.
    private static func mondayWeek(_ t: Int64) -> Int64 {
        let x = Timestamp.dayNumber(t) + 3
        return x >= 0 ? x / 7 : (x - 6) / 7
    }

    /// Months since year 0, counting from 0 (`year * 12 + month - 1`).
    private static func month(_ t: Int64) -> Int {
        let c = Timestamp.civil(days: Timestamp.dayNumber(t))
        return c.year * 12 + c.month - 1
    }
}
