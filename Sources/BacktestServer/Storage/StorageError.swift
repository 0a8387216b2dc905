/// A database call's outcome that this server cannot use: a value it does not know in a job's
/// state or kind (a newer server wrote it, or the row was edited by hand; never replaced by a
/// default: the job it belongs to is reported as unreadable), or a call that did not return in
/// time (``StorageDeadline``).
struct StorageError: Error, Sendable, Equatable, CustomStringConvertible {
    /// The kind of a ``StorageError``.
    enum Code: String, Sendable, Hashable, CaseIterable {
        /// A column holds a value this server does not know.
        case unknownValue = "unknown_value"
        /// A call did not return within its ``StorageDeadline``.
        case timedOut = "timed_out"
    }

    /// What kind of error.
    var code: Code
    /// What went wrong, naming the column and the value, or the call and its limit.
    var message: String

    var description: String { message }

    /// `column` holds `value`, which this server does not know.
    static func unknownValue(_ value: String, column: String) -> StorageError {
        StorageError(code: .unknownValue, message: "the database's \(column) holds '\(value.prefix(64))', which this server does not know")
    }

    /// The call doing `what` did not return within `limit`.
    static func timedOut(_ what: String, after limit: Duration) -> StorageError {
        StorageError(code: .timedOut, message: "\(what) did not finish within \(limit)")
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
