import ArgumentParser
import BacktestEngine
import BacktestServer
import Foundation
import Logging
import MarketData

/// `backtest data`: the imported market data store (the database `backtest serve` reads).
struct DataCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "data",
        abstract: "Import, inspect, upload and download market data.",
        discussion: """
            Bars live in the SQLite database `backtest serve` uses (--db, env BACKTEST_DB), so the \
            server serves what `data import` and `data fetch` imported.
            Examples:
              backtest data import GOOG.csv --adjust
              backtest data list
              backtest data show GOOG --start 2010-01-01 --end 2010-12-31
              backtest data fetch AAPL --source stooq --start 2020-01-01
              backtest data push GOOG.csv --server http://127.0.0.1:8000
            """,
        subcommands: [
            DataImportCommand.self, DataListCommand.self, DataShowCommand.self, DataRemoveCommand.self, DataPushCommand.self,
            DataFetchCommand.self, DataBenchCommand.self,
        ]
    )
}

/// `--db PATH`, shared by every `data` command that uses the local store.
struct DatabaseOptions: ParsableArguments {
    @Option(help: "SQLite database (env BACKTEST_DB; default: the one `backtest serve` uses, $XDG_DATA_HOME/backtest/backtest.sqlite).")
    var db: String?

    @Option(
        name: .customLong("database"),
        help: ArgumentHelp(
            "A cluster's PostgreSQL (env BACKTEST_DATABASE_URL): imports and removals reach every node sharing it.",
            valueName: "url"
        )
    )
    var sharedDatabase: String?

    /// The cluster's database, if given.
    func sharedURL() throws(CLIError) -> DatabaseURL? {
        guard let text = sharedDatabase ?? ProcessEnvironment.variables()["BACKTEST_DATABASE_URL"].flatMap({ $0.isEmpty ? nil : $0 }) else {
            return nil
        }
        do {
            return try DatabaseURL(parsing: text)
        } catch {
            throw CLIError(message: error.message)
        }
    }

    /// Runs `body` with the cluster's shared bar store, when `--database` names one.
    func withShared(_ body: (SharedBarStore) async throws -> Void) async throws {
        guard let url = try sharedURL() else { return }
        var logger = Logger(label: "backtest.data")
        logger.logLevel = .error
        do {
            try await SharedBarStore.with(url: url, logger: logger, body)
        } catch let error as ServerError {
            throw CLIError(message: error.message, exitCode: 1)
        } catch {
            throw CLIError(message: "\(url): \(error)", exitCode: 1)
        }
    }

    /// The database path: the flag, else `BACKTEST_DB`, else the server's default.
    var path: String {
        if let db { return db }
        if let env = ProcessEnvironment.variables()["BACKTEST_DB"], !env.isEmpty { return env }
        return BacktestServer.Configuration.defaultDatabasePath()
    }

    /// Opens the store.
    func open() throws(CLIError) -> SQLiteBarStore {
        do {
            return try SQLiteBarStore(path: path)
        } catch {
            throw CLIError(message: error.description, exitCode: 1)
        }
    }
}

/// `--start` / `--end` dates, shared by `show` and `fetch`.
struct DateRangeOptions: ParsableArguments {
    @Option(help: "First date (YYYY-MM-DD or YYYY-MM-DDTHH:MM), inclusive.")
    var start: String?

    @Option(help: "Last date (YYYY-MM-DD or YYYY-MM-DDTHH:MM), inclusive (a bare date includes the whole day).")
    var end: String?

    /// The range in seconds; throws a usage error for text that is not a date.
    func range() throws(CLIError) -> (start: Int64?, end: Int64?) {
        var lo: Int64?
        var hi: Int64?
        if let start {
            guard let t = Timestamp.parse(start) else { throw CLIError(message: "--start: '\(start)' is not a date (YYYY-MM-DD)") }
            lo = t
        }
        if let end {
            guard let t = Timestamp.parse(end) else { throw CLIError(message: "--end: '\(end)' is not a date (YYYY-MM-DD)") }
            // A bare date means the whole day (intraday bars included).
            hi = end.count <= 10 ? t + 86_399 : t
        }
        if let lo, let hi, hi < lo { throw CLIError(message: "--end is before --start") }
        return (lo, hi)
    }
}

extension MarketDataError {
    /// The CLI error: bad input (the file, the ticker, an unknown ticker) exits 2, a store
    /// or network failure exits 1.
    var cliError: CLIError {
        let operational: Set<Code> = [.database, .databaseBusy, .network, .rateLimited, .providerHTTP, .providerError, .malformedPayload]
        return CLIError(message: description, exitCode: operational.contains(code) ? 1 : 2)
    }
}

/// Formatting shared by the `data` commands.
enum DataFormat {
    /// A date, or a date-time when the timestamp has a time of day.
    static func time(_ t: Int64) -> String {
        t % 86_400 == 0 ? Timestamp.formatDate(t) : Timestamp.format(t)
    }

    /// `1,234,567`.
    static func count(_ n: Int) -> String {
        let digits = String(n)
        var out = ""
        for (i, ch) in digits.enumerated() {
            if i > 0, (digits.count - i) % 3 == 0 { out += "," }
            out.append(ch)
        }
        return out
    }

    /// Prints quality warnings on stderr.
    static func printWarnings(_ report: BarQualityCheck.Report) {
        for warning in report.warnings { Terminal.stderr("warning: \(warning.message)\n") }
        if report.total > report.warnings.count {
            Terminal.stderr("warning: \(report.total - report.warnings.count) more suspicious bars not listed\n")
        }
    }

    /// The one-line summary of an import.
    static func summary(_ entry: CatalogEntry, replaced: Int, verb: String = "imported") -> String {
        "\(verb) \(entry.ticker): \(count(entry.count)) bars \(time(entry.first)) .. \(time(entry.last)) from \(entry.source)"
            + (replaced > 0 ? " (replaced \(count(replaced)) bars)" : "") + "\n"
    }
}
