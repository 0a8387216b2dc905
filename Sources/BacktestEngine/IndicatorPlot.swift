/// A strategy's indicator as a report draws it: its name, the panel it goes in, its values
/// (NaN where undefined) and the horizontal levels of its panel.
///
/// Strategies register them in ``Strategy/setup(_:)``:
///
/// ```swift
/// rsi = setup.indicator(Indicators.rsi(setup.bars.close, 14), name: "RSI(14)", panel: "RSI", levels: [30, 70])
/// ```
public struct IndicatorPlot: Sendable, Hashable {
    /// How the values are drawn.
    public enum Style: String, Sendable, Hashable {
        case line, histogram
    }

    /// The panel of the candles: an indicator there is drawn over the prices.
    public static let pricePanel = "price"

    /// The legend's name, e.g. `SMA(10)`.
    public var name: String
    /// ``pricePanel``, or the name of a panel of its own (indicators with the same panel name
    /// share it, e.g. `MACD`).
    public var panel: String
    /// One value per bar.
    public var values: [Double]
    /// Horizontal lines of the panel (e.g. RSI's thresholds).
    public var levels: [Double]
    /// Line or histogram.
    public var style: Style

    /// Creates a plot.
    public init(name: String, panel: String = IndicatorPlot.pricePanel, values: [Double], levels: [Double] = [], style: Style = .line) {
        self.name = name
        self.panel = panel
        self.values = values
        self.levels = levels
        self.style = style
    }
}
