extension Broker {
    /// Runs the bars `from..<to` on which nothing happens: while no queued order can act on
    /// a bar (every order is a resting stop or limit that the bar's high and low do not
    /// reach), the broker step changes nothing and the equity at the close is
    /// `cash + (close * size - cost)` over the open trades, the same operations as
    /// ``step(_:)``. Writes those equities and returns the first bar it did not run: `to`,
    /// a bar on which some order can act, or a bar whose equity is not positive (the
    /// bankruptcy that ``step(_:)`` then handles).
    ///
    /// It changes nothing in the broker; it is `mutating` so that the run's loop passes its
    /// broker in place: a non-mutating call on the broker the loop's closure captures made a
    /// copy of all its 280 bytes before every quiet stretch.
    mutating func quietBars(from start: Int, to end: Int, equity: UnsafeMutableBufferPointer<Double>) -> Int {
        guard let reach = orderReach() else { return start }
        // The same sums, in the same order, as `Broker.equity(cash:trades:price:)`.
        var sizes = 0
        var cost = 0.0
        for t in trades {
            sizes += t.size
            cost += Double(t.size) * t.entryPrice
        }
        let size = Double(sizes)
        let hasTrades = !trades.isEmpty
        let cash = cash
        return bars.close.withUnsafeBufferPointer { close in
            bars.high.withUnsafeBufferPointer { high in
                bars.low.withUnsafeBufferPointer { low in
                    var i = start
                    // Four bars at a time in vectors (each lane the same operations as one
                    // bar's), one branch per block; a block with a bar that stops the run is
                    // redone one bar at a time below. (Writing the equity of bars past the
                    // stop is harmless: the run writes every bar again.)
                    if let c = close.baseAddress, let h = high.baseAddress, let l = low.baseAddress,
                        let e = equity.baseAddress
                    {
                        let cashV = SIMD4(repeating: cash)
                        let sizeV = SIMD4(repeating: size)
                        let costV = SIMD4(repeating: cost)
                        let reachHigh = SIMD4(repeating: reach.high)
                        let reachLow = SIMD4(repeating: reach.low)
                        let zero = SIMD4<Double>(repeating: 0)
                        while i + 4 <= end {
                            let closes = UnsafeRawPointer(c + i).loadUnaligned(as: SIMD4<Double>.self)
                            let value = hasTrades ? cashV + (closes * sizeV - costV) : cashV
                            UnsafeMutableRawPointer(e + i).storeBytes(of: value, as: SIMD4<Double>.self)
                            let highs = UnsafeRawPointer(h + i).loadUnaligned(as: SIMD4<Double>.self)
                            let lows = UnsafeRawPointer(l + i).loadUnaligned(as: SIMD4<Double>.self)
                            // The stop test on each half: a mask of four lanes compiled to a
                            // chain of shifts and shuffles, two masks of two to or-ed compares
                            // (BENCHMARKS.md, "Eleventh round").
                            let stopsLow =
                                (highs.lowHalf .>= reachHigh.lowHalf) .| (lows.lowHalf .<= reachLow.lowHalf)
                                .| .!(value.lowHalf .> zero.lowHalf)
                            let stopsHigh =
                                (highs.highHalf .>= reachHigh.highHalf) .| (lows.highHalf .<= reachLow.highHalf)
                                .| .!(value.highHalf .> zero.highHalf)
                            if any(stopsLow .| stopsHigh) { break }
                            i += 4
                        }
                    }
                    while i < end {
                        if high[i] >= reach.high || low[i] <= reach.low { return i }
                        let value = hasTrades ? cash + (close[i] * size - cost) : cash
                        if value <= 0 { return i }
                        equity[i] = value
                        i += 1
                    }
                    return i
                }
            }
        }
    }

    /// The prices at which some queued order acts, as in `anyOrderActs`: it acts on a bar
    /// whose high is at least `high` or whose low is at most `low`. `nil` when a market
    /// order is queued (it acts on any bar).
    private func orderReach() -> (high: Double, low: Double)? {
        var high = Double.infinity
        var low = -Double.infinity
        for o in orders {
            // A NaN price never compares true, so it never lowers `high` or raises `low`:
            // the order never acts, as in `anyOrderActs`.
            if let stop = o.stop {
                if o.isLong {
                    if stop < high { high = stop }
                } else if stop > low {
                    low = stop
                }
            } else if let limit = o.limit {
                if o.isLong {
                    if limit > low { low = limit }
                } else if limit < high {
                    high = limit
                }
            } else {
                return nil
            }
        }
        return (high, low)
    }
}
