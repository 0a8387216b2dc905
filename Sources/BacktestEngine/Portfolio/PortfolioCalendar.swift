/// The calendar of a portfolio: the sorted union of its tickers' bar timestamps, where each
/// ticker's own bars fall on it, and each ticker's last close on every calendar bar
/// (PORTFOLIO.md section 2). Built once per portfolio; a search's combinations share it.
struct PortfolioCalendar: Sendable {
    /// The calendar's timestamps, ascending.
    let dates: [Int64]
    /// `own[i][b]`: ticker `i`'s own bar index on calendar bar `b`, or -1 when it has no bar.
    let own: [[Int32]]
    /// `complete[i]`: ticker `i` has a bar on every calendar bar (`own[i][b] == b`).
    let complete: [Bool]
    /// `lastClose[i][b]`: ticker `i`'s close on its last bar on or before `b` (NaN before its
    /// first bar).
    let lastClose: [[Double]]
    /// The statistics' calendar facts of the dates (period, bins).
    let statistics: BarCalendar

    init(_ bars: [Bars]) {
        var dates = bars.first?.timestamps ?? []
        for b in bars.dropFirst() where b.timestamps != dates {
            dates = Self.union(dates, b.timestamps)
        }
        self.dates = dates
        let own = bars.map { Self.ownIndices(of: $0.timestamps, on: dates) }
        self.own = own
        // Its bars are among the calendar's, both ascending: as many means the same.
        let complete = bars.map { $0.timestamps.count == dates.count }
        self.complete = complete
        lastClose = bars.indices.map { i in
            let (series, own) = (bars[i], own[i])
            if complete[i] { return series.close }
            var out = [Double](repeating: .nan, count: own.count)
            var last = Double.nan
            for b in own.indices {
                if own[b] >= 0 { last = series.close[Int(own[b])] }
                out[b] = last
            }
            return out
        }
        statistics = Statistics.calendar(dates)
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
    /// The decision bars of `dates`, ascending; bar 0 always is one.
    ///
    /// Months and quarters are found by their next boundary (one date conversion a period,
    /// not one a bar): bar `b` starts a new month exactly when it lies on or after the first
    /// day of the month after the previous decision's.
    func decisionBars(_ dates: [Int64]) -> [Int] {
        guard !dates.isEmpty else { return [] }
        switch self {
        case .never: return [0]
        case .everyNBars(let n): return Array(stride(from: 0, to: dates.count, by: max(1, n)))
        case .weekly:
            var out = [0]
            var week = Self.mondayWeek(dates[0])
            for b in 1..<dates.count {
                let w = Self.mondayWeek(dates[b])
                if w != week {
                    out.append(b)
                    week = w
                }
            }
            return out
        case .monthly, .quarterly:
            let months = self == .monthly ? 1 : 3
            var out = [0]
            var boundary = Self.nextBoundary(after: dates[0], months: months)
            for b in 1..<dates.count where Timestamp.dayNumber(dates[b]) >= boundary {
                out.append(b)
                boundary = Self.nextBoundary(after: dates[b], months: months)
            }
            return out
        }
    }

    /// Weeks starting on Monday, numbered from the epoch (1970-01-01 was a Thursday): equal
    /// exactly when the ISO (week-year, week) are.
    private static func mondayWeek(_ t: Int64) -> Int64 {
        let x = Timestamp.dayNumber(t) + 3
        return x >= 0 ? x / 7 : (x - 6) / 7
    }

    /// The day number of the first day of the next month (`months` 1) or quarter (3).
    private static func nextBoundary(after t: Int64, months: Int) -> Int64 {
        let c = Timestamp.civil(days: Timestamp.dayNumber(t))
        let index = c.year * 12 + (c.month - 1) / months * months + months  // months since year 0
        return Timestamp.days(year: index / 12, month: index % 12 + 1, day: 1)
    }
}
