import BacktestAPI
import BacktestJSON

/// Builders for the JSON Schemas of the API document, so each schema is one short line
/// that says what a member is.
///
/// ```swift
/// Schema.object(["ticker": Schema.string(), "bars": Schema.count()], optional: ["bars"])
/// // {"type": "object", "properties": {…}, "required": ["ticker"], "additionalProperties": false}
/// ```
public enum Schema {
    /// A reference to `#/components/schemas/NAME`.
    public static func ref(_ name: String) -> JSONValue {
        ["$ref": .string("#/components/schemas/\(name)")]
    }

    /// A strict object: every member is required unless listed in `optional`, and no
    /// other member is allowed.
    public static func object(
        _ properties: KeyValuePairs<String, JSONValue>,
        optional: Set<String> = [],
        description: String? = nil
    ) -> JSONValue {
        var members: [String: JSONValue] = [:]
        var required: [JSONValue] = []
        for (name, schema) in properties {
            members[name] = schema
            if !optional.contains(name) { required.append(.string(name)) }
        }
        return annotated(
            ["type": "object", "properties": .object(members), "required": .array(required), "additionalProperties": false],
            description
        )
    }

    /// An object whose members all have the schema `values`.
    public static func map(of values: JSONValue, description: String? = nil) -> JSONValue {
        annotated(["type": "object", "additionalProperties": values], description)
    }

    /// A list of `items`.
    public static func array(of items: JSONValue, minItems: Int? = nil, maxItems: Int? = nil, description: String? = nil) -> JSONValue {
        var schema: [String: JSONValue] = ["type": "array", "items": items]
        if let minItems { schema["minItems"] = .number(Double(minItems)) }
        if let maxItems { schema["maxItems"] = .number(Double(maxItems)) }
        return annotated(.object(schema), description)
    }

    /// A string.
    public static func string(_ description: String? = nil) -> JSONValue {
        annotated(["type": "string"], description)
    }

    /// The pattern of a ticker symbol: letters, digits and `. _ ^ = -`, not starting with
    /// `.`, at most 32 characters (as `MarketDataError.isValidTicker`; a test holds them
    /// together).
    public static let tickerPattern = "^[A-Za-z0-9_^=-][A-Za-z0-9._^=-]{0,31}$"

    /// A ticker symbol (``tickerPattern``).
    public static func ticker(_ description: String? = nil) -> JSONValue {
        annotated(["type": "string", "pattern": .string(tickerPattern)], description)
    }

    /// One of a fixed set of strings.
    public static func oneOf(_ values: [String], description: String? = nil) -> JSONValue {
        annotated(["type": "string", "enum": .array(values.map { .string($0) })], description)
    }

    /// A whole number, at least `minimum`.
    public static func integer(minimum: Int? = nil, maximum: Int? = nil, description: String? = nil) -> JSONValue {
        var schema: [String: JSONValue] = ["type": "integer"]
        if let minimum { schema["minimum"] = .number(Double(minimum)) }
        if let maximum { schema["maximum"] = .number(Double(maximum)) }
        return annotated(.object(schema), description)
    }

    /// A count: a whole number, 0 or more.
    public static func count(_ description: String? = nil) -> JSONValue {
        integer(minimum: 0, description: description)
    }

    /// A number (finite), with optional bounds.
    public static func number(
        minimum: Double? = nil,
        exclusiveMinimum: Double? = nil,
        maximum: Double? = nil,
        exclusiveMaximum: Double? = nil,
        description: String? = nil
    ) -> JSONValue {
        var schema: [String: JSONValue] = ["type": "number"]
        if let minimum { schema["minimum"] = .number(minimum) }
        if let exclusiveMinimum { schema["exclusiveMinimum"] = .number(exclusiveMinimum) }
        if let maximum { schema["maximum"] = .number(maximum) }
        if let exclusiveMaximum { schema["exclusiveMaximum"] = .number(exclusiveMaximum) }
        return annotated(.object(schema), description)
    }

    /// A boolean.
    public static func boolean(_ description: String? = nil) -> JSONValue {
        annotated(["type": "boolean"], description)
    }

    /// `schema` or `null`: a schema of one type gets `null` in its type list (and in its
    /// enum), any other (a `$ref`, a union) an `anyOf` with a null branch.
    /// (swift-openapi-generator skips `{"type": "null"}` branches with a warning; type lists
    /// it reads as optionals.)
    public static func nullable(_ schema: JSONValue) -> JSONValue {
        guard case .object(var members) = schema, case .string(let type)? = members["type"] else {
            return ["anyOf": [schema, ["type": "null"]]]
        }
        members["type"] = [.string(type), "null"]
        if case .array(let values)? = members["enum"] { members["enum"] = .array(values + [.null]) }
        return .object(members)
    }

    private static func annotated(_ schema: JSONValue, _ description: String?) -> JSONValue {
        guard let description, case .object(var members) = schema else { return schema }
        members["description"] = .string(description)
        return .object(members)
    }
}
