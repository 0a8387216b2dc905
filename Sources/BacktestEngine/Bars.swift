import Foundation

/// Price bars in columnar form: one array per field, all of the same length.
///
/// Timestamps are seconds since 1970-01-01T00:00:00 in the data's own (naive) time zone,
/// the way backtesting.py treats a pandas `DatetimeIndex` without a zone.
///
/// ```swift
/// let bars = try Bars(
///     timestamps: [0, 86_400], open: [10, 11], high: [11, 12], low: [9, 10], close: [10.5, 11.5])
/// ```
public struct Bars: Sendable, Equatable {
    /// Bar timestamps, strictly ascending (seconds since the epoch).
    public let timestamps: [Int64]
    /// Opening prices.
    public let open: [Double]
    /// Highest prices.
    public let high: [Double]
    /// Lowest prices.
    public let low: [Double]
    /// Closing prices.
    public let close: [Double]
    /// Traded volume; NaN where the source had none.
    public let volume: [Double]

    /// Per-bar log returns of the close, `ln(C[k]/C[k-1])` for `k = 1..<count` (computed
    /// once with the data; the statistics' beta uses them).
    public let closeLogReturns: [Double]

    /// The close log returns' deviations from their mean and the sums beta needs, computed
    /// once with the data (statistics read them on every run).
    let closeLogReturnMoments: LogReturnMoments

    /// Period, annualisation and resampling bins of the timestamps (computed once).
    public let calendar: BarCalendar

    /// `RunningSMA.maxMagnitude(close)`, computed once with the data (every running SMA of
    /// the close needs it).
    let closeMaxMagnitude: Double

    /// The number of bars.
    @inlinable public var count: Int { timestamps.count }

    /// Creates bars from columns, checking that the columns have the same length, that the
    /// prices are finite and positive with `low <= open, close <= high`, and that timestamps
    /// strictly increase.
    ///
    /// - Throws: ``BacktestError`` with code `invalid_bars` naming the first offending bar.
    public init(
        timestamps: [Int64],
        open: [Double],
        high: [Double],
        low: [Double],
        close: [Double],
        volume: [Double]? = nil
    ) throws(BacktestError) {
        let n = timestamps.count
        guard open.count == n, high.count == n, low.count == n, close.count == n,
            (volume?.count ?? n) == n
        else {
            throw BacktestError(code: .invalidBars, message: "bar columns have different lengths")
        }
        for i in 0..<n {
            let o = open[i]
            let h = high[i]
            let l = low[i]
            let c = close[i]
            guard o.isFinite, h.isFinite, l.isFinite, c.isFinite, o > 0, h > 0, l > 0, c > 0 else {
                throw BacktestError(
                    code: .invalidBars,
                    message: "bar \(i) (\(Timestamp.format(timestamps[i]))): prices must be finite and positive"
                )
            }
            guard h >= l else {
                throw BacktestError(
                    code: .invalidBars,
                    message: "bar \(i) (\(Timestamp.format(timestamps[i]))): High \(h) is below Low \(l)"
                )
            }
            if i > 0 && timestamps[i] <= timestamps[i - 1] {
                throw BacktestError(
                    code: .invalidBars,
                    message: "bar \(i): timestamp \(Timestamp.format(timestamps[i])) does not follow \(Timestamp.format(timestamps[i - 1]))"
                )
            }
        }
        self.timestamps = timestamps
        self.open = open
        self.high = high
        self.low = low
        self.close = close
        self.volume = volume ?? Array(repeating: .nan, count: n)
        self.closeLogReturns = Self.logReturns(close)
        self.closeLogReturnMoments = LogReturnMoments(closeLogReturns)
        self.calendar = Statistics.calendar(timestamps)
        self.closeMaxMagnitude = RunningSMA.maxMagnitude(close)
    }

    /// Returns the bars whose timestamps lie in `from...through` (either bound optional).
    public func slice(from start: Int64? = nil, through end: Int64? = nil) -> Bars {
        let lo = start.map { s in lowerBound(s) } ?? 0
        let hi = end.map { e in lowerBound(e + 1) } ?? count
        let range = lo..<max(lo, hi)
        return Bars(
            unchecked: Array(timestamps[range]),
            open: Array(open[range]),
            high: Array(high[range]),
            low: Array(low[range]),
            close: Array(close[range]),
            volume: Array(volume[range])
        )
    }

    /// Creates bars without validation; for callers that validated already.
    @usableFromInline
    init(unchecked timestamps: [Int64], open: [Double], high: [Double], low: [Double], close: [Double], volume: [Double]) {
        self.timestamps = timestamps
        self.open = open
        self.high = high
        self.low = low
        self.close = close
        self.volume = volume
        self.closeLogReturns = Self.logReturns(close)
        self.closeLogReturnMoments = LogReturnMoments(closeLogReturns)
        self.calendar = Statistics.calendar(timestamps)
        self.closeMaxMagnitude = RunningSMA.maxMagnitude(close)
    }

    /// These bars in storage of their own: the same values, no array shared with `self`.
    ///
    /// Copying bars copies references to their arrays, and every copy updates the arrays'
    /// reference counts; a search gives each worker thread a replica, so that those counts
    /// are not cache lines that both cores write (BENCHMARKS.md, "Eleventh round").
    public func replica() -> Bars {
        Bars(replicating: self)
    }

    private init(replicating other: Bars) {
        func own<T>(_ values: [T]) -> [T] { values.withUnsafeBufferPointer { Array($0) } }
        timestamps = own(other.timestamps)
        open = own(other.open)
        high = own(other.high)
        low = own(other.low)
        close = own(other.close)
        volume = own(other.volume)
        closeLogReturns = own(other.closeLogReturns)
        closeLogReturnMoments = LogReturnMoments(
            deviations: own(other.closeLogReturnMoments.deviations),
            deviationSum: other.closeLogReturnMoments.deviationSum,
            squaredDeviationSum: other.closeLogReturnMoments.squaredDeviationSum
        )
        var calendar = other.calendar
        calendar.binEnds = own(other.calendar.binEnds)
        self.calendar = calendar
        closeMaxMagnitude = other.closeMaxMagnitude
    }

    static func logReturns(_ c: [Double]) -> [Double] {
        guard c.count > 1 else { return [] }
        var out = [Double](repeating: 0, count: c.count - 1)
        for k in 1..<c.count { out[k - 1] = log(c[k] / c[k - 1]) }
        return out
    }

    private func lowerBound(_ t: Int64) -> Int {
        var lo = 0
        var hi = count
        while lo < hi {
            let mid = (lo + hi) / 2
            if timestamps[mid] < t { lo = mid + 1 } else { hi = mid }
        }
        return lo
    }
}

/// Calendar facts of a bar series that the statistics need, computed once with the data.
public struct BarCalendar: Sendable, Equatable {
    /// The data period: median spacing of the last 100 timestamps, in seconds.
    public var periodSeconds: Double
    /// Periods per year for annualising (252, 365, 52, 12 or 1).
    public var periodsPerYear: Int
    /// Index of the last bar in each non-empty resampling bin (days, weeks, months or years).
    public var binEnds: [Int]
}

/// Deviations of a return series from its mean, with their sum and sum of squares.
struct LogReturnMoments: Sendable, Equatable {
    /// `r[k] - mean(r)`.
    let deviations: [Double]
    /// `sum(deviations)`: zero up to rounding.
    let deviationSum: Double
    /// `sum(deviations^2)`.
    let squaredDeviationSum: Double

    init(deviations: [Double], deviationSum: Double, squaredDeviationSum: Double) {
        self.deviations = deviations
        self.deviationSum = deviationSum
        self.squaredDeviationSum = squaredDeviationSum
    }

    init(_ r: [Double]) {
        var sum = 0.0
        for x in r { sum += x }
        let mean = sum / Double(max(r.count, 1))
        var deviations = [Double](repeating: 0, count: r.count)
        var dSum = 0.0
        var sSum = 0.0
        for k in r.indices {
            let d = r[k] - mean
            deviations[k] = d
            dSum += d
            sSum += d * d
        }
        self.deviations = deviations
        deviationSum = dSum
        squaredDeviationSum = sSum
    }
}
