/// A database call's outcome that this server cannot use: a value it does not know in a job's
/// state or kind (a newer server wrote it, or the row was edited by hand; never replaced by a
/// default: the job it belongs to is reported as unreadable), or a call that did not return in
/// time (``StorageDeadline``).
struct StorageError: Error, Sendable, Equatable, CustomStringConvertible {
    /// What kind of error: `unknown_value` or `timed_out`.
    var code: String
    /// What went wrong, naming the column and the value.
    var message: String

    var description: String { message }

    /// `column` holds `value`, which this server does not know.
    static func unknownValue(_ value: String, column: String) -> StorageError {
        StorageError(code: "unknown_value", message: "the database's \(column) holds '\(value.prefix(64))', which this server does not know")
    }

    /// The call doing `what` did not return within `limit`.
    static func timedOut(_ what: String, after limit: Duration) -> StorageError {
        StorageError(code: "timed_out", message: "\(what) did not finish within \(limit)")
    }
}

extension RawRepresentable where RawValue == String {
    /// The value stored as `raw` in `column`.
    ///
    /// - Throws: ``StorageError`` `unknown_value` naming the column and the value.
    init(stored raw: String, column: String) throws(StorageError) {
        guard let value = Self(rawValue: raw) else { throw StorageError.unknownValue(raw, column: column) }
        self = value
    }
}
