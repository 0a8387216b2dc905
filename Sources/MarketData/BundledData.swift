import BacktestEngine
import Foundation

/// Data files shipped inside the package.
///
/// - The sample set: real daily bars for AAPL, AMZN, GOOG, META, MSFT, NFLX, NVDA (Yahoo
///   Finance layout; sources in `sample/SOURCES.md`). It is what a fresh server serves.
/// - Benchmark fixtures: backtesting.py's GOOG daily 2004-2013 and EURUSD hourly 2017-2018.
public enum BundledData {
    /// The folder of the sample set's `TICKER.csv` files.
    public static var sampleDirectory: URL? {
        Bundle.module.url(forResource: "sample", withExtension: nil)
    }

    /// The path of a benchmark fixture (`GOOG.csv`, `EURUSD.csv`).
    public static func benchmarkFile(_ name: String) -> URL? {
        Bundle.module.url(forResource: "benchmark", withExtension: nil)?.appendingPathComponent(name)
    }
}
