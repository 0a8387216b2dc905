import BacktestEngine

/// Bars as bytes for the shared store: the count, then the timestamps (Int64) and the open,
/// high, low, close and volume columns (Double), little-endian. Decoding checks the length
/// and the bars themselves (``Bars`` refuses inconsistent data).
enum BarsCodec {
    static func encode(_ bars: Bars) -> [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(8 + bars.count * 48)
        func put(_ value: UInt64) { withUnsafeBytes(of: value.littleEndian) { out.append(contentsOf: $0) } }
        put(UInt64(bars.count))
        for t in bars.timestamps { put(UInt64(bitPattern: t)) }
        for column in [bars.open, bars.high, bars.low, bars.close, bars.volume] {
            for v in column { put(v.bitPattern) }
        }
        return out
    }

    /// - Throws: ``BacktestError`` `invalid_bars` for a truncated or inconsistent encoding.
    static func decode(_ bytes: [UInt8]) throws(BacktestError) -> Bars {
        func fail() -> BacktestError { BacktestError(code: .invalidBars, message: "shared bars: the stored encoding is damaged") }
        guard bytes.count >= 8 else { throw fail() }
        func word(_ k: Int) -> UInt64 {
            var v: UInt64 = 0
            for b in 0..<8 { v |= UInt64(bytes[k * 8 + b]) << (8 * UInt64(b)) }
            return v
        }
        let count = Int(clamping: word(0))
        guard count >= 0, count <= (bytes.count - 8) / 48, bytes.count == 8 + count * 48 else { throw fail() }
        let timestamps = (0..<count).map { Int64(bitPattern: word(1 + $0)) }
        func column(_ c: Int) -> [Double] { (0..<count).map { Double(bitPattern: word(1 + count * (1 + c) + $0)) } }
        return try Bars(timestamps: timestamps, open: column(0), high: column(1), low: column(2), close: column(3), volume: column(4))
    }
}
