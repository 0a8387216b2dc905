import ArgumentParser
import BacktestEngine
import Foundation
import MarketData

/// `backtest data bench`: import speed and store lookup time, on a temporary database.
struct DataBenchCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "bench",
        abstract: "Measure import speed (bars/s) and the time to load one year of daily bars from the store."
    )

    @Option(help: "Bars in the synthetic file.")
    var syntheticBars: Int = 1_000_000

    @Option(help: "Lookups timed for the one-year load.")
    var lookups: Int = 20_000

    func run() async throws {
        let folder = NSTemporaryDirectory() + "backtest-data-bench-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let store = try SQLiteBarStore(path: folder + "/bench.sqlite")
        let importer = BarImporter(store: store)

        guard let eurusd = BundledData.benchmarkFile("EURUSD.csv"), let goog = BundledData.benchmarkFile("GOOG.csv") else {
            throw CLIError(message: "the bundled benchmark files are missing", exitCode: 1)
        }
        try importFile(eurusd.path, ticker: "EURUSD", importer: importer, label: "EURUSD hourly")

        let synthetic = folder + "/SYNTH.csv"
        try Self.writeSynthetic(path: synthetic, bars: syntheticBars)
        try importFile(synthetic, ticker: "SYNTH", importer: importer, label: "synthetic \(DataFormat.count(syntheticBars)) bars")
        // Re-import: replaces every bar in one transaction.
        try importFile(synthetic, ticker: "SYNTH", importer: importer, label: "synthetic re-import (replace)")

        try importFile(goog.path, ticker: "GOOG", importer: importer, label: "GOOG daily")
        let start = Timestamp.parse("2010-01-01") ?? 0
        let end = Timestamp.parse("2010-12-31") ?? 0
        let year = try store.bars(for: "GOOG", from: start, through: end).bars.count
        let uncached = try SQLiteBarStore(configuration: .init(path: folder + "/bench.sqlite", cachedRanges: 0))
        let sql = try time(lookups) { _ = try uncached.bars(for: "GOOG", from: start, through: end) }
        let cached = try time(lookups) { _ = try store.bars(for: "GOOG", from: start, through: end) }
        Terminal.stdout(String(format: "load 1 year (%d daily bars), SQL range read: median %.1f µs, p99 %.1f µs\n", year, sql.median, sql.p99))
        Terminal.stdout(
            String(
                format: "load 1 year (%d daily bars), warm (range cache, hash check): median %.1f µs, p99 %.1f µs\n",
                year,
                cached.median,
                cached.p99
            )
        )
    }

    private func importFile(_ path: String, ticker: String, importer: BarImporter, label: String) throws {
        guard let data = FileManager.default.contents(atPath: path) else { throw CLIError(message: "cannot read \(path)", exitCode: 1) }
        let t0 = DispatchTime.now().uptimeNanoseconds
        let bars = try CSVBarsParser.parse(data, source: path)
        let t1 = DispatchTime.now().uptimeNanoseconds
        _ = try importer.importBars(bars, ticker: ticker, source: "bench")
        let t2 = DispatchTime.now().uptimeNanoseconds
        let parse = Double(t1 - t0) / 1e9
        let store = Double(t2 - t1) / 1e9
        let total = Double(t2 - t0) / 1e9
        Terminal.stdout(
            String(
                format: "import %@: %@ bars in %.3f s = %@ bars/s (parse %.3f s, validate+hash+store %.3f s)\n",
                label,
                DataFormat.count(bars.count),
                total,
                DataFormat.count(Int(Double(bars.count) / total)),
                parse,
                store
            )
        )
    }

    private func time(_ n: Int, _ body: () throws -> Void) throws -> (median: Double, p99: Double) {
        for _ in 0..<min(n, 1_000) { try body() }
        var samples: [Double] = []
        samples.reserveCapacity(n)
        for _ in 0..<n {
            let t0 = DispatchTime.now().uptimeNanoseconds
            try body()
            samples.append(Double(DispatchTime.now().uptimeNanoseconds - t0) / 1e3)
        }
        samples.sort()
        return (samples[samples.count / 2], samples[min(samples.count - 1, samples.count * 99 / 100)])
    }

    /// Hourly bars from 2000-01-03, a deterministic random walk.
    static func writeSynthetic(path: String, bars: Int) throws {
        var out = "Date,Open,High,Low,Close,Volume\n"
        out.reserveCapacity(bars * 64)
        var price = 100.0
        var state: UInt64 = 0x9E37_79B9_7F4A_7C15
        var t = Timestamp.parse("2000-01-03T00:00") ?? 0
        for _ in 0..<bars {
            state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
            let r = Double(state >> 11) / Double(1 << 53) - 0.5
            let open = price
            price *= 1 + r * 0.004
            let high = max(open, price) * 1.001
            let low = min(open, price) * 0.999
            out +=
                "\(Timestamp.format(t)),\(String(format: "%.5f", open)),\(String(format: "%.5f", high)),\(String(format: "%.5f", low)),\(String(format: "%.5f", price)),\(Int(r * 1000 + 1000))\n"
            t += 3_600
        }
        try out.write(toFile: path, atomically: true, encoding: .utf8)
    }
}
