import VaporCSQLite

/// One SQLite connection used synchronously through the C API (the library vendored by
/// sqlite-nio), with the few calls the imported store needs. Not thread-safe: the owner
/// serialises use.
final class SQLiteHandle {
    /// A prepared statement; reset after every use by ``SQLiteHandle``'s helpers.
    final class Statement {
        fileprivate let pointer: OpaquePointer
        fileprivate init(_ pointer: OpaquePointer) { self.pointer = pointer }
        deinit { sqlite_nio_sqlite3_finalize(pointer) }

        func bind(_ index: Int32, _ value: Int64) { sqlite_nio_sqlite3_bind_int64(pointer, index, value) }
        func bind(_ index: Int32, _ value: Double) {
            if value.isNaN { sqlite_nio_sqlite3_bind_null(pointer, index) } else { sqlite_nio_sqlite3_bind_double(pointer, index, value) }
        }
        func bind(_ index: Int32, _ value: String) {
            sqlite_nio_sqlite3_bind_text64(pointer, index, value, UInt64(value.utf8.count), SQLiteHandle.transient, UInt8(SQLITE_UTF8))
        }
        func int64(_ column: Int32) -> Int64 { sqlite_nio_sqlite3_column_int64(pointer, column) }
        /// The column as a double; SQL NULL reads as NaN.
        func double(_ column: Int32) -> Double {
            sqlite_nio_sqlite3_column_type(pointer, column) == SQLITE_NULL ? .nan : sqlite_nio_sqlite3_column_double(pointer, column)
        }
        func text(_ column: Int32) -> String {
            guard let raw = sqlite_nio_sqlite3_column_text(pointer, column) else { return "" }
            return String(cString: raw)
        }
    }

    static let transient = unsafeBitCast(-1, to: sqlite3_destructor_type.self)

    private let db: OpaquePointer
    let path: String

    /// Opens (creating if needed) the database file at `path`, in WAL mode with a busy
    /// timeout so a reader waits for a writer's commit instead of failing.
    init(path: String, busyTimeoutMilliseconds: Int32) throws(MarketDataError) {
        var handle: OpaquePointer?
        let flags = SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX
        let rc = sqlite_nio_sqlite3_open_v2(path, &handle, flags, nil)
        guard rc == SQLITE_OK, let handle else {
            let message = handle.map { String(cString: sqlite_nio_sqlite3_errmsg($0)) } ?? "out of memory"
            if let handle { sqlite_nio_sqlite3_close_v2(handle) }
            throw MarketDataError(code: .database, message: "cannot open the database: \(message)", source: path)
        }
        self.db = handle
        self.path = path
        sqlite_nio_sqlite3_busy_timeout(handle, busyTimeoutMilliseconds)
    }

    deinit { sqlite_nio_sqlite3_close_v2(db) }

    /// Runs SQL without results (several statements allowed).
    func execute(_ sql: String) throws(MarketDataError) {
        let rc = sqlite_nio_sqlite3_exec(db, sql, nil, nil, nil)
        guard rc == SQLITE_OK else { throw error("\(sql.prefix(60))") }
    }

    /// Compiles a statement.
    func prepare(_ sql: String) throws(MarketDataError) -> Statement {
        var statement: OpaquePointer?
        let rc = sqlite_nio_sqlite3_prepare_v3(db, sql, -1, UInt32(SQLITE_PREPARE_PERSISTENT), &statement, nil)
        guard rc == SQLITE_OK, let statement else { throw error("prepare \(sql.prefix(60))") }
        return Statement(statement)
    }

    /// Steps `statement` to completion, calling `row` for each result row, then resets it.
    func query(_ statement: Statement, row: (Statement) throws(MarketDataError) -> Void = { _ in }) throws(MarketDataError) {
        defer {
            sqlite_nio_sqlite3_reset(statement.pointer)
            sqlite_nio_sqlite3_clear_bindings(statement.pointer)
        }
        while true {
            let rc = sqlite_nio_sqlite3_step(statement.pointer)
            if rc == SQLITE_ROW {
                try row(statement)
            } else if rc == SQLITE_DONE {
                return
            } else {
                throw error("step")
            }
        }
    }

    /// Rows changed by the last statement.
    var changes: Int { Int(sqlite_nio_sqlite3_changes(db)) }

    private func error(_ context: String) -> MarketDataError {
        let message = String(cString: sqlite_nio_sqlite3_errmsg(db))
        let code = sqlite_nio_sqlite3_errcode(db)
        return MarketDataError(
            code: code == SQLITE_BUSY || code == SQLITE_LOCKED ? .databaseBusy : .database,
            message: "\(context): \(message)",
            source: path
        )
    }
}
