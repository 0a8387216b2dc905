import BacktestEngine

/// The indicator functions of the language and their signatures.
enum RulesFunction: String, Sendable, Hashable, CaseIterable {
    case sma, ema, wma, rsi, atr, stdev, highest, lowest, roc, change, macd, bbands, donchian

    /// What an argument must be.
    enum Argument: Sendable, Hashable {
        /// A number series (the data an indicator is computed over).
        case source
        /// A constant whole number >= 1: a window length.
        case period
        /// A constant number (bbands' `k`).
        case real
    }

    /// The arguments, in order.
    var arguments: [Argument] {
        switch self {
        case .sma, .ema, .wma, .rsi, .stdev, .highest, .lowest, .roc, .change: return [.source, .period]
        case .atr, .donchian: return [.period]
        case .macd: return [.source, .period, .period, .period]
        case .bbands: return [.source, .period, .real]
        }
    }

    /// Arguments that may be left out, with their default: `change(x)` is `change(x, 1)`.
    var optionalTail: (count: Int, value: Double)? {
        self == .change ? (1, 1) : nil
    }

    /// How the documentation writes the call.
    var signature: String {
        switch self {
        case .atr: return "atr(period)"
        case .donchian: return "donchian(period)"
        case .macd: return "macd(source, fast, slow, signal)"
        case .bbands: return "bbands(source, period, k)"
        case .change: return "change(source[, period])"
        default: return "\(rawValue)(source, period)"
        }
    }

    /// The fields of a function with several outputs (its result must be followed by one).
    var fields: [String] {
        switch self {
        case .macd: return ["line", "signal", "hist"]
        case .bbands: return ["upper", "mid", "lower"]
        case .donchian: return ["upper", "lower"]
        default: return []
        }
    }

    /// `true` for the functions with several outputs.
    var isRecord: Bool { !fields.isEmpty }

    /// `true` when the output is on the scale of the source (a smoothed or extreme price),
    /// so a report draws it over the prices when the source is a price.
    var keepsScale: Bool {
        switch self {
        case .sma, .ema, .wma, .highest, .lowest, .bbands, .donchian: return true
        default: return false
        }
    }
}

/// The columns of the bars a program can read.
enum BarField: String, Sendable, Hashable, CaseIterable {
    case open, high, low, close, volume

    func values(_ bars: Bars) -> [Double] {
        switch self {
        case .open: return bars.open
        case .high: return bars.high
        case .low: return bars.low
        case .close: return bars.close
        case .volume: return bars.volume
        }
    }
}
