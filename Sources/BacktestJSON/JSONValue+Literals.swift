/// Literals, so that JSON documents (the OpenAPI document, schemas in tests) read as JSON:
///
/// ```swift
/// let schema: JSONValue = ["type": "object", "required": ["ticker"], "additionalProperties": false]
/// ```
extension JSONValue: ExpressibleByStringLiteral, ExpressibleByIntegerLiteral, ExpressibleByFloatLiteral,
    ExpressibleByBooleanLiteral, ExpressibleByArrayLiteral, ExpressibleByDictionaryLiteral, ExpressibleByNilLiteral
{
    public init(stringLiteral value: String) { self = .string(value) }
    public init(integerLiteral value: Int) { self = .number(Double(value)) }
    public init(floatLiteral value: Double) { self = .number(value) }
    public init(booleanLiteral value: Bool) { self = .bool(value) }
    public init(arrayLiteral elements: JSONValue...) { self = .array(elements) }
    public init(nilLiteral: ()) { self = .null }

    /// An object; a key given twice keeps the last value.
    public init(dictionaryLiteral elements: (String, JSONValue)...) {
        var members: [String: JSONValue] = [:]
        for (key, value) in elements { members[key] = value }
        self = .object(members)
    }
}

extension JSONValue {
    /// The members of an object, `nil` for any other value.
    public var objectValue: [String: JSONValue]? {
        if case .object(let members) = self { return members }
        return nil
    }

    /// The elements of an array, `nil` for any other value.
    public var arrayValue: [JSONValue]? {
        if case .array(let elements) = self { return elements }
        return nil
    }

    /// The text of a string, `nil` for any other value.
    public var stringValue: String? {
        if case .string(let text) = self { return text }
        return nil
    }

    /// The value of a number, `nil` for any other value.
    public var numberValue: Double? {
        if case .number(let value) = self { return value }
        return nil
    }

    /// The member `key` of an object (`nil` when absent or not an object).
    public subscript(key: String) -> JSONValue? {
        objectValue?[key]
    }
}

extension JSONValue: JSONWritable {
    /// Writes the value; object members in key order, so the same value always gives the
    /// same bytes.
    public func write(to writer: inout JSONWriter) {
        switch self {
        case .null: writer.null()
        case .bool(let value): writer.bool(value)
        case .number(let value): writer.number(value)
        case .string(let text): writer.string(text)
        case .array(let elements):
            writer.array { w in for element in elements { element.write(to: &w) } }
        case .object(let members):
            writer.object { w in
                for key in members.keys.sorted() {
                    w.key(key)
                    members[key]?.write(to: &w)
                }
            }
        }
    }
}
