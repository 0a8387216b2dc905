import BacktestAPI
import BacktestJSON

/// Checks JSON values against the JSON Schema (2020-12) subset the API document uses, so a
/// reply the server writes can be held to the document that describes it.
///
/// Understood: `$ref` (to `#/…` inside ``root``), `type` (one or a list; `integer` is a
/// whole number), `enum`, `const`, `properties`, `required`, `additionalProperties`
/// (`false` or a schema), `items`, `minItems`, `maxItems`, `minLength`, `maxLength`,
/// `minimum`, `maximum`, `exclusiveMinimum`, `exclusiveMaximum`, `oneOf`, `anyOf`, `allOf`.
/// Annotations (`description`, `default`, `format`, `pattern`, …) are not checked:
/// Schemathesis checks those in CI.
///
/// ```swift
/// let validator = JSONSchemaValidator(root: APIDocument.value)
/// let violations = validator.validate(reply, against: APIDocument.schema("BacktestReply"))
/// // [] when the reply is what the document says; otherwise each names its path
/// ```
public struct JSONSchemaValidator: Sendable {
    /// The document `$ref`s point into.
    public let root: JSONValue

    /// A validator resolving `$ref`s in `root`.
    public init(root: JSONValue) {
        self.root = root
    }

    /// Every way `value` breaks `schema` (empty when it conforms), each with the path of
    /// the offending value (`$.stats.sqn`).
    public func validate(_ value: JSONValue, against schema: JSONValue, path: String = "$") -> [SchemaViolation] {
        validate(value, against: schema, path: path, depth: 0)
    }

    // MARK: - Keywords

    private func check(_ value: JSONValue, _ schema: JSONValue, _ path: String, _ out: inout [SchemaViolation], depth: Int) {
        guard depth < 64 else { return out.append(.init(path: path, message: "schema nesting too deep (a $ref cycle?)")) }
        guard case .object(let keywords) = schema else {
            if case .bool(false) = schema { out.append(.init(path: path, message: "no value is allowed here")) }
            return
        }
        if let ref = keywords["$ref"]?.stringValue {
            guard let target = resolve(ref) else { return out.append(.init(path: path, message: "unresolvable $ref \(ref)")) }
            check(value, target, path, &out, depth: depth + 1)
        }
        if let types = keywords["type"], !Self.matches(value, types) {
            out.append(.init(path: path, message: "expected \(Self.describe(types)), got \(Self.kind(of: value))"))
            return
        }
        if let allowed = keywords["enum"]?.arrayValue, !allowed.contains(value) {
            out.append(.init(path: path, message: "\(Self.excerpt(value)) is not one of \(allowed.map(Self.excerpt).joined(separator: ", "))"))
        }
        if let constant = keywords["const"], constant != value {
            out.append(.init(path: path, message: "expected \(Self.excerpt(constant)), got \(Self.excerpt(value))"))
        }
        checkNumber(value, keywords, path, &out)
        checkString(value, keywords, path, &out)
        checkObject(value, keywords, path, &out, depth: depth)
        checkArray(value, keywords, path, &out, depth: depth)
        checkCombinations(value, keywords, path, &out, depth: depth)
    }

    private func checkNumber(_ value: JSONValue, _ keywords: [String: JSONValue], _ path: String, _ out: inout [SchemaViolation]) {
        guard case .number(let x) = value else { return }
        if let bound = keywords["minimum"]?.numberValue, x < bound { out.append(.init(path: path, message: "\(x) is below the minimum \(bound)")) }
        if let bound = keywords["maximum"]?.numberValue, x > bound { out.append(.init(path: path, message: "\(x) is above the maximum \(bound)")) }
        if let bound = keywords["exclusiveMinimum"]?.numberValue, x <= bound { out.append(.init(path: path, message: "\(x) is not above \(bound)")) }
        if let bound = keywords["exclusiveMaximum"]?.numberValue, x >= bound { out.append(.init(path: path, message: "\(x) is not below \(bound)")) }
    }

    private func checkString(_ value: JSONValue, _ keywords: [String: JSONValue], _ path: String, _ out: inout [SchemaViolation]) {
        guard case .string(let text) = value else { return }
        let length = text.unicodeScalars.count
        if let bound = keywords["minLength"]?.numberValue, Double(length) < bound {
            out.append(.init(path: path, message: "shorter than \(Int(bound)) characters"))
        }
        if let bound = keywords["maxLength"]?.numberValue, Double(length) > bound {
            out.append(.init(path: path, message: "longer than \(Int(bound)) characters"))
        }
    }

    private func checkObject(_ value: JSONValue, _ keywords: [String: JSONValue], _ path: String, _ out: inout [SchemaViolation], depth: Int) {
        guard case .object(let members) = value else { return }
        for case .string(let name) in keywords["required"]?.arrayValue ?? [] where members[name] == nil {
            out.append(.init(path: path, message: "missing required member '\(name)'"))
        }
        let properties = keywords["properties"]?.objectValue ?? [:]
        for (name, member) in members.sorted(by: { $0.key < $1.key }) {
            let memberPath = "\(path).\(name)"
            if let schema = properties[name] {
                check(member, schema, memberPath, &out, depth: depth + 1)
            } else if let additional = keywords["additionalProperties"] {
                if case .bool(false) = additional {
                    out.append(.init(path: memberPath, message: "member '\(name)' is not in the document"))
                } else {
                    check(member, additional, memberPath, &out, depth: depth + 1)
                }
            }
        }
    }

    private func checkArray(_ value: JSONValue, _ keywords: [String: JSONValue], _ path: String, _ out: inout [SchemaViolation], depth: Int) {
        guard case .array(let elements) = value else { return }
        if let bound = keywords["minItems"]?.numberValue, Double(elements.count) < bound {
            out.append(.init(path: path, message: "fewer than \(Int(bound)) items"))
        }
        if let bound = keywords["maxItems"]?.numberValue, Double(elements.count) > bound {
            out.append(.init(path: path, message: "more than \(Int(bound)) items"))
        }
        if let items = keywords["items"] {
            for (index, element) in elements.enumerated() { check(element, items, "\(path)[\(index)]", &out, depth: depth + 1) }
        }
    }

    private func checkCombinations(_ value: JSONValue, _ keywords: [String: JSONValue], _ path: String, _ out: inout [SchemaViolation], depth: Int) {
        for schema in keywords["allOf"]?.arrayValue ?? [] { check(value, schema, path, &out, depth: depth + 1) }
        if let choices = keywords["anyOf"]?.arrayValue {
            let failures = choices.map { validate(value, against: $0, path: path, depth: depth + 1) }
            if !failures.contains(where: \.isEmpty) {
                out.append(.init(path: path, message: "matches none of anyOf: \(Self.summary(failures))"))
            }
        }
        if let choices = keywords["oneOf"]?.arrayValue {
            let failures = choices.map { validate(value, against: $0, path: path, depth: depth + 1) }
            let matched = failures.filter(\.isEmpty).count
            if matched == 0 {
                out.append(.init(path: path, message: "matches none of oneOf: \(Self.summary(failures))"))
            } else if matched > 1 {
                out.append(.init(path: path, message: "matches \(matched) schemas of oneOf, exactly one allowed"))
            }
        }
    }

    private func validate(_ value: JSONValue, against schema: JSONValue, path: String, depth: Int) -> [SchemaViolation] {
        var violations: [SchemaViolation] = []
        check(value, schema, path, &violations, depth: depth)
        return violations
    }

    // MARK: - Helpers

    /// The value a `#/a/b` pointer names in ``root`` (`nil` when it names nothing).
    public func resolve(_ reference: String) -> JSONValue? {
        guard reference.hasPrefix("#/") else { return nil }
        var node = root
        for token in reference.dropFirst(2).split(separator: "/", omittingEmptySubsequences: false) {
            let name = String(token).replacing("~1", with: "/").replacing("~0", with: "~")
            guard let next = node[name] else { return nil }
            node = next
        }
        return node
    }

    private static func matches(_ value: JSONValue, _ types: JSONValue) -> Bool {
        switch types {
        case .string(let type): return matches(value, type)
        case .array(let list): return list.contains { $0.stringValue.map { matches(value, $0) } ?? false }
        default: return true
        }
    }

    private static func matches(_ value: JSONValue, _ type: String) -> Bool {
        switch (type, value) {
        case ("null", .null), ("boolean", .bool), ("number", .number), ("string", .string), ("array", .array), ("object", .object):
            return true
        case ("integer", .number(let x)):
            return x.isFinite && x.rounded(.towardZero) == x
        default:
            return false
        }
    }

    private static func describe(_ types: JSONValue) -> String {
        switch types {
        case .string(let type): return type
        case .array(let list): return list.compactMap(\.stringValue).joined(separator: " or ")
        default: return "a valid type"
        }
    }

    private static func kind(of value: JSONValue) -> String {
        switch value {
        case .null: return "null"
        case .bool: return "a boolean"
        case .number(let x): return x.rounded(.towardZero) == x ? "an integer" : "a number"
        case .string: return "a string"
        case .array: return "an array"
        case .object: return "an object"
        }
    }

    private static func excerpt(_ value: JSONValue) -> String {
        let text = String(decoding: value.jsonBytes(), as: UTF8.self)
        return text.count > 60 ? String(text.prefix(57)) + "..." : text
    }

    private static func summary(_ failures: [[SchemaViolation]]) -> String {
        failures.map { $0.first.map(\.description) ?? "-" }.joined(separator: " | ")
    }
}

/// One way a value breaks a schema.
public struct SchemaViolation: Sendable, Equatable, CustomStringConvertible {
    /// Where, as a path from the document's root: `$`, `$.results[3].error.status`.
    public var path: String
    /// What is wrong there.
    public var message: String

    /// Creates a violation.
    public init(path: String, message: String) {
        self.path = path
        self.message = message
    }

    public var description: String { "\(path): \(message)" }
}
