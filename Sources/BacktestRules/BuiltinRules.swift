/// The built-in strategies written in the rules language: the text of `Examples/rules/NAME.rules`
/// (a test holds the two equal), shown by `GET /v1/strategies` and `backtest strategies`. Each
/// produces the built-in's trades, equity and statistics bit for bit.
public enum BuiltinRules {
    /// The rules source of built-in `name`, if it has one.
    public static func source(for name: String) -> String? {
        sources[name]
    }

    /// The sources by strategy name.
    public static let sources: [String: String] = [
        "buy_and_hold": """
        # buy_and_hold, as the built-in: buy on the first bar and hold.
        enter long when true
        """,
        "sma_cross": """
        # sma_cross, as the built-in: long when the fast SMA crosses above the slow SMA,
        # flat when it crosses back below. Same parameters, defaults and bounds.
        param fast = 10 (1..100000)  # fast SMA period
        param slow = 30 (1..100000)  # slow SMA period (> fast)
        require fast < slow

        enter long when crossover(sma(close, fast), sma(close, slow))
        exit long when crossover(sma(close, slow), sma(close, fast))
        """,
        "sma_cross_reverse": """
        # sma_cross_reverse, as the built-in: always in the market. Every cross closes
        # whatever is open and enters its own side (the built-in's closePosition() then
        # buy() or sell(), whatever the position).
        param fast = 10 (1..100000)  # fast SMA period
        param slow = 30 (1..100000)  # slow SMA period (> fast)
        require fast < slow

        let up = crossover(sma(close, fast), sma(close, slow))
        let down = crossover(sma(close, slow), sma(close, fast))

        exit when up or down
        enter long when up
        enter short when down
        """,
        "rsi_reversion": """
        # rsi_reversion, as the built-in: buy when Wilder's RSI is below `lower`,
        # close when it is above `upper`.
        param period = 14 (1..100000)  # RSI period
        param lower = 30.0 (0..100)  # oversold level
        param upper = 70.0 (0..100)  # overbought level (> lower)
        require lower < upper

        let r = rsi(close, period)
        enter long when r < lower
        exit long when r > upper
        """,
        "bollinger": """
        # bollinger, as the built-in: buy below the lower band, close above the middle;
        # with allow_short, the mirror image short.
        param period = 20 (1..100000)  # SMA period of the middle band
        param k = 2.0 (0..100)  # band width in population standard deviations (> 0)
        param allow_short = false  # also take short positions
        require k > 0

        let b = bbands(close, period, k)
        # Named in the built-in's order, so reports list the bands the same way.
        let mid = b.mid
        let upper = b.upper
        let lower = b.lower

        enter long when close < lower
        enter short when allow_short and close > upper
        exit long when close > mid
        exit short when close < mid
        """,
        "macd_cross": """
        # macd_cross, as the built-in: long when the MACD line crosses above its signal
        # line, flat on the cross below; with allow_short, reverse on each cross.
        param fast = 12 (1..100000)  # fast EMA period
        param slow = 26 (1..100000)  # slow EMA period (> fast)
        param signal = 9 (1..100000)  # signal EMA period
        param allow_short = false  # also take short positions
        require fast < slow

        let m = macd(close, fast, slow, signal)
        let up = crossover(m.line, m.signal)
        let down = crossover(m.signal, m.line)

        exit when allow_short and up
        enter long when up
        exit when down
        enter short when allow_short and down
        """,
        "donchian": """
        # donchian, as the built-in: buy when the close breaks above the previous
        # n_entry bars' high, close when it falls below the previous n_exit bars' low.
        param n_entry = 20 (1..100000)  # entry channel length
        param n_exit = 10 (1..100000)  # exit channel length

        enter long when close > donchian(n_entry).upper
        exit long when close < donchian(n_exit).lower
        """,
    ]
}
