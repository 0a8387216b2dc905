import Foundation
import Logging
import PostgresNIO
import SQLiteNIO

@testable import BacktestServer

/// The storages the shared suites run against: SQLite always, PostgreSQL when
/// `BACKTEST_TEST_POSTGRES_URL` names a server (`.ci/postgres.sh start` sets it; CI always
/// does). Each test gets a database of its own.
enum StorageKind: String, Sendable, CustomStringConvertible, CaseIterable {
    case sqlite, postgres

    /// The storage the test servers use: `BACKTEST_TEST_STORAGE=postgres` runs the whole server
    /// suite on PostgreSQL (CI does, after the run on SQLite).
    static let current: StorageKind = ProcessInfo.processInfo.environment["BACKTEST_TEST_STORAGE"] == "postgres" ? .postgres : .sqlite

    /// The PostgreSQL database that stands for the SQLite file `path` (created on first use),
    /// so that servers restarted on the same path find the same data.
    static func postgresDatabase(forPath path: String) async throws -> DatabaseURL {
        guard var url = postgresURL else { throw TestFailure("BACKTEST_TEST_STORAGE=postgres needs BACKTEST_TEST_POSTGRES_URL") }
        var hash: UInt64 = 0xcbf2_9ce4_8422_2325
        for byte in path.utf8 { hash = (hash ^ UInt64(byte)) &* 0x100_0000_01b3 }
        let name = "p_" + String(hash, radix: 16)
        _ = try await withAdmin { client in
            var exists = false
            for try await _ in try await client.query("SELECT 1 FROM pg_database WHERE datname = \(name)").decode(Int.self) { exists = true }
            if !exists { try await client.query(PostgresQuery(unsafeSQL: "CREATE DATABASE \(name)")) }
        }
        url.database = name
        return url
    }

    /// The storage the test servers at `path` use (the SQLite file, or its PostgreSQL stand-in).
    static func openCurrent(path: String) async throws -> any StorageRoles {
        try await open(path: path, url: current == .postgres ? try await postgresDatabase(forPath: path) : nil)
    }

    /// The kinds this machine can test.
    static var available: [StorageKind] { postgresURL == nil ? [.sqlite] : [.sqlite, .postgres] }

    /// The PostgreSQL server for tests, if configured.
    static let postgresURL: DatabaseURL? = ProcessInfo.processInfo.environment["BACKTEST_TEST_POSTGRES_URL"].flatMap {
        $0.isEmpty ? nil : try? DatabaseURL(parsing: $0)
    }

    var description: String { rawValue }

    /// A fresh, empty database of this kind: a temporary SQLite path, or a new PostgreSQL
    /// database on the test server.
    func freshDatabase() async throws -> (path: String, url: DatabaseURL?) {
        let path = TestServer.temporaryDatabase()
        guard self == .postgres else { return (path, nil) }
        guard var url = Self.postgresURL else { throw TestFailure("BACKTEST_TEST_POSTGRES_URL is not set") }
        let name = "t_" + UUID().uuidString.lowercased().replacingOccurrences(of: "-", with: "")
        _ = try await Self.withAdmin { client in
            try await client.query(PostgresQuery(unsafeSQL: "CREATE DATABASE \(name)"))
        }
        url.database = name
        return (path, url)
    }

    /// A fresh storage of this kind.
    func open() async throws -> any StorageRoles {
        let (path, url) = try await freshDatabase()
        return try await Self.open(path: path, url: url)
    }

    /// The storage at `path` (SQLite) or `url` (PostgreSQL).
    static func open(path: String, url: DatabaseURL?) async throws -> any StorageRoles {
        let logger = Logger(label: "test.storage")
        if let url { return try await PostgresStorage.open(url: url, logger: logger) }
        return try await ServerDatabase.open(path: path, logger: logger)
    }

    /// Runs `body` with a client on the test server's own database.
    static func withAdmin<T: Sendable>(_ body: (PostgresClient) async throws -> T) async throws -> T {
        guard let url = postgresURL else { throw TestFailure("BACKTEST_TEST_POSTGRES_URL is not set") }
        let client = PostgresClient(configuration: PostgresStorage.configuration(url), backgroundLogger: Logger(label: "test.pg"))
        let task = Task { await client.run() }
        defer { task.cancel() }
        return try await body(client)
    }
}

/// Every storage role of one database, as the storage suite tests them on both kinds, with
/// what a test needs beyond them: closing, and writing a row by hand.
protocol StorageRoles: ResultStore, JobStore, JobItemStore, WorkQueue, ClusterRegistry {
    /// Closes the connection(s).
    func close() async
    /// Runs `sql` as it is (a test's hand-made row).
    func execute(_ sql: String) async throws
}

extension ServerDatabase: StorageRoles {
    func execute(_ sql: String) async throws {
        _ = try await connection.query(sql)
    }
}

extension PostgresStorage: StorageRoles {
    func execute(_ sql: String) async throws {
        try await client.query(PostgresQuery(unsafeSQL: sql))
    }
}
