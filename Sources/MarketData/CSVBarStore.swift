import BacktestEngine
import Foundation

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A ``BarStore`` over folders of `TICKER.csv` files (either layout ``CSVBarsParser``
/// reads): the data folder first, then the bundled sample set (``BundledData``).
///
/// Files are parsed once and kept in memory, and so are the last ranges asked for (a job's
/// items mostly ask for the same ones; 256, as the SQLite store keeps). Every lookup checks
/// the file's modification time and size (one `stat`), so a changed file is re-read on the
/// next request, and the data folder's own modification time, so added or removed files are
/// noticed too.
///
/// ```swift
/// let store = CSVBarStore(configuration: .init(dataDirectory: "/srv/bars"))
/// let aapl = try store.bars(for: "aapl", from: nil, through: nil)
/// ```
public final class CSVBarStore: BarStore, @unchecked Sendable {
    /// Where to look for files.
    public struct Configuration: Sendable {
        /// A folder of `TICKER.csv` files, searched before the bundled set. Default: none.
        public var dataDirectory: String?
        /// Serve the bundled sample set for tickers the data folder lacks. Default: `true`.
        public var includeSampleData: Bool

        /// Creates a configuration.
        public init(dataDirectory: String? = nil, includeSampleData: Bool = true) {
            self.dataDirectory = dataDirectory
            self.includeSampleData = includeSampleData
        }
    }

    /// A file found by a scan.
    private struct FileReference {
        var path: String
        var source: String
    }

    /// A parsed file and the identity of the version it was parsed from.
    private struct LoadedFile {
        var path: String
        var version: FileVersion
        var bars: Bars
        var contentHash: String
        var summary: TickerSummary
    }

    /// A range of a ticker's bars.
    private struct SliceKey: Hashable {
        var symbol: String
        var start: Int64?
        var end: Int64?
    }

    /// Modification time and size, compared to notice changed files.
    private struct FileVersion: Equatable {
        var seconds: Int
        var nanoseconds: Int
        var size: Int64
    }

    /// The configuration in use.
    public let configuration: Configuration
    private let lock = NSLock()
    private var files: [String: FileReference] = [:]
    private var loaded: [String: LoadedFile] = [:]
    private var slices: [SliceKey: (contentHash: String, bars: Bars)] = [:]
    private var scanned = false
    private var directoryVersion: FileVersion?

    /// Creates a store; nothing is read until the first lookup.
    public init(configuration: Configuration = Configuration()) {
        self.configuration = configuration
    }

    public func tickers() throws(MarketDataError) -> [TickerSummary] {
        lock.lock()
        defer { lock.unlock() }
        refreshListingIfNeeded()
        var out: [TickerSummary] = []
        for symbol in files.keys.sorted() {
            // A broken file is left out of the listing; asking for it reports the error.
            if let file = try? loadLocked(symbol) { out.append(file.summary) }
        }
        return out
    }

    public func bars(for ticker: String, from start: Int64?, through end: Int64?) throws(MarketDataError) -> StoredBars {
        guard MarketDataError.isValidTicker(ticker) else {
            throw MarketDataError(
                code: .invalidTicker,
                message: "'\(ticker.prefix(40))' is not a ticker symbol (letters, digits, '.', '-', '_', '^', '='; at most 32)",
                source: "ticker"
            )
        }
        let symbol = ticker.uppercased()
        lock.lock()
        defer { lock.unlock() }
        refreshListingIfNeeded()
        let file = try loadLocked(symbol)
        return StoredBars(ticker: symbol, bars: sliceLocked(file, symbol, start, end), contentHash: file.contentHash, summary: file.summary)
    }

    /// The bars of `file` from `start` through `end`: a range asked before (the items of a job
    /// mostly share theirs) is the copy sliced then, while the file's content is the same.
    private func sliceLocked(_ file: LoadedFile, _ symbol: String, _ start: Int64?, _ end: Int64?) -> Bars {
        guard start != nil || end != nil else { return file.bars }
        let key = SliceKey(symbol: symbol, start: start, end: end)
        if let cached = slices[key], cached.contentHash == file.contentHash { return cached.bars }
        let bars = file.bars.slice(from: start, through: end)
        // Only ranges of backtest size: a cache of whole minute-bar histories would hold gigabytes.
        if bars.count <= 20_000 {
            if slices.count >= Self.cachedSlices { slices.removeAll(keepingCapacity: true) }
            slices[key] = (file.contentHash, bars)
        }
        return bars
    }

    /// Ranges kept by ``sliceLocked(_:_:_:_:)`` (all are dropped when it is full), as the
    /// SQLite store keeps 256.
    static let cachedSlices = 256

    // MARK: - Locked helpers

    private func refreshListingIfNeeded() {
        if let dir = configuration.dataDirectory {
            let version = Self.version(of: dir)
            if !scanned || version != directoryVersion {
                directoryVersion = version
                scan()
            }
        } else if !scanned {
            scan()
        }
    }

    private func scan() {
        var found: [String: FileReference] = [:]
        if configuration.includeSampleData, let sample = BundledData.sampleDirectory {
            for (symbol, path) in Self.csvFiles(in: sample.path) { found[symbol] = FileReference(path: path, source: "bundled") }
        }
        if let dir = configuration.dataDirectory {
            for (symbol, path) in Self.csvFiles(in: dir) { found[symbol] = FileReference(path: path, source: "data-dir") }
        }
        files = found
        scanned = true
    }

    private func loadLocked(_ symbol: String) throws(MarketDataError) -> LoadedFile {
        guard var reference = files[symbol] else { throw unknownTicker(symbol) }
        var version = Self.version(of: reference.path)
        if version == nil {
            // The file went away since the last scan: look again once.
            scan()
            guard let again = files[symbol] else {
                loaded[symbol] = nil
                throw unknownTicker(symbol)
            }
            reference = again
            version = Self.version(of: reference.path)
        }
        if let cached = loaded[symbol], cached.path == reference.path, cached.version == version {
            return cached
        }
        let data: Data
        do {
            data = try Data(contentsOf: URL(fileURLWithPath: reference.path))
        } catch {
            throw MarketDataError(code: .unreadable, message: "cannot read file: \(error.localizedDescription)", source: reference.path)
        }
        let bars = try CSVBarsParser.parse(data, source: reference.path)
        guard let first = bars.timestamps.first, let last = bars.timestamps.last else {
            throw MarketDataError(code: .empty, message: "no bars", source: reference.path)
        }
        let file = LoadedFile(
            path: reference.path,
            version: version ?? FileVersion(seconds: 0, nanoseconds: 0, size: 0),
            bars: bars,
            contentHash: ContentHash.hex(of: data),
            summary: TickerSummary(ticker: symbol, first: first, last: last, count: bars.count, source: reference.source)
        )
        loaded[symbol] = file
        return file
    }

    private func unknownTicker(_ symbol: String) -> MarketDataError {
        let count = files.count
        let folder = configuration.dataDirectory.map { "the data folder (\($0))" } ?? "a folder passed as --data-dir"
        return MarketDataError(
            code: .unknownTicker,
            message: "unknown ticker '\(symbol)'; the server knows \(count) ticker\(count == 1 ? "" : "s") (GET /v1/tickers lists them); "
                + "to add one, drop \(symbol).csv (Date,Open,High,Low,Close[,Volume]) into \(folder)",
            source: "ticker"
        )
    }

    // MARK: - File system

    private static func csvFiles(in directory: String) -> [(String, String)] {
        guard let names = try? FileManager.default.contentsOfDirectory(atPath: directory) else { return [] }
        var out: [(String, String)] = []
        for name in names.sorted() where name.lowercased().hasSuffix(".csv") {
            let stem = String(name.dropLast(4))
            guard MarketDataError.isValidTicker(stem) else { continue }
            out.append((stem.uppercased(), (directory as NSString).appendingPathComponent(name)))
        }
        return out
    }

    private static func version(of path: String) -> FileVersion? {
        var info = stat()
        guard stat(path, &info) == 0 else { return nil }
        #if canImport(Darwin)
        return FileVersion(seconds: info.st_mtimespec.tv_sec, nanoseconds: info.st_mtimespec.tv_nsec, size: Int64(info.st_size))
        #else
        return FileVersion(seconds: info.st_mtim.tv_sec, nanoseconds: info.st_mtim.tv_nsec, size: Int64(info.st_size))
        #endif
    }
}
