import BacktestAPI

extension StrategyTarget {
    /// The window the target's bars cover against the one its request asked for.
    public var coverage: Coverage {
        Coverage(requestedStart: request.start, requestedEnd: request.end, bars: bars)
    }
}
