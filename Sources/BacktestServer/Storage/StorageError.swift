/// A value read from the database that this server cannot use: a job state or kind it does
/// not know (a newer server wrote it, or the row was edited by hand). Never replaced by a
/// default: the job it belongs to is reported as unreadable.
struct StorageError: Error, Sendable, Equatable, CustomStringConvertible {
    /// What kind of error: `unknown_value`.
    var code: String
    /// What went wrong, naming the column and the value.
    var message: String

    var description: String { message }

    /// `column` holds `value`, which this server does not know.
    static func unknownValue(_ value: String, column: String) -> StorageError {
        StorageError(code: "unknown_value", message: "the database's \(column) holds '\(value.prefix(64))', which this server does not know")
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
