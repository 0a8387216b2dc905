import BacktestEngine

extension KeyedDecodingContainer {
    /// The value of an optional request member, or `nil` when absent or `null`; a value of the
    /// wrong type is an `invalid_field` error naming the member and what was `expected` (a
    /// ``BacktestEngine/BacktestError`` from a nested decoder passes through unchanged).
    ///
    /// ```swift
    /// let cash = try c.field(Double.self, .cash, expected: "a number") ?? 10_000
    /// ```
    func field<T: Decodable>(_ type: T.Type, _ key: Key, expected: String) throws -> T? {
        do {
            return try decodeIfPresent(type, forKey: key)
        } catch let error as BacktestError {
            throw error
        } catch {
            throw BacktestError.invalid(key.stringValue, "expected \(expected)")
        }
    }
}
