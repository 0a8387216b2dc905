import BacktestEngine
import Foundation

/// One parameter of a search and the values it takes, in order.
///
/// Parsed from `KEY=V1,V2,…` (numbers or `true`/`false`) or `KEY=LO..HI:STEP` (both ends
/// included when the steps reach `HI`, as `range(LO, HI + 1, STEP)` for whole numbers):
///
/// ```swift
/// let fast = try ParameterAxis(parsing: "fast=5..50:5")     // 5, 10, …, 50
/// let short = try ParameterAxis(parsing: "allow_short=true,false")
/// ```
public struct ParameterAxis: Sendable, Hashable {
    /// The parameter's name.
    public var name: String
    /// Its values, in order, without duplicates.
    public var values: [ParameterValue]

    /// The most values one axis may have (a range with a tiny step is refused before it
    /// allocates).
    public static let maximumValues = 1_000_000

    /// Creates an axis; duplicates are dropped, order kept.
    public init(name: String, values: [ParameterValue]) throws(OptimizeError) {
        guard !values.isEmpty else {
            throw OptimizeError(code: .invalidGrid, message: "--grid \(name): no values", field: "grid")
        }
        var unique: [ParameterValue] = []
        var seen = Set<ParameterValue>()
        for value in values where seen.insert(value).inserted { unique.append(value) }
        self.name = name
        self.values = unique
    }

    /// Parses `KEY=V1,V2,…` or `KEY=LO..HI:STEP`.
    ///
    /// - Throws: ``OptimizeError`` `invalid_grid` naming the entry and what is wrong.
    public init(parsing text: String) throws(OptimizeError) {
        func fail(_ why: String) -> OptimizeError {
            OptimizeError(code: .invalidGrid, message: "--grid '\(text)': \(why)", field: "grid")
        }
        guard let eq = text.firstIndex(of: "=") else { throw fail("expected KEY=V1,V2,… or KEY=LO..HI:STEP") }
        let name = String(text[..<eq]).trimmed
        let spec = String(text[text.index(after: eq)...]).trimmed
        guard !name.isEmpty, name.allSatisfy({ $0.isLetter || $0.isNumber || $0 == "_" }) else {
            throw fail("'\(name)' is not a parameter name")
        }
        guard !spec.isEmpty else { throw fail("no values after '='") }
        if let dots = spec.range(of: "..") {
            let lowText = String(spec[..<dots.lowerBound]).trimmed
            let rest = spec[dots.upperBound...]
            guard let colon = rest.firstIndex(of: ":") else { throw fail("a range needs a step: LO..HI:STEP") }
            let highText = String(rest[..<colon]).trimmed
            let stepText = String(rest[rest.index(after: colon)...]).trimmed
            guard let low = Double(lowText), low.isFinite else { throw fail("'\(lowText)' is not a number") }
            guard let high = Double(highText), high.isFinite else { throw fail("'\(highText)' is not a number") }
            guard let step = Double(stepText), step.isFinite else { throw fail("'\(stepText)' is not a number") }
            guard step > 0 else { throw fail("the step must be positive, got \(stepText)") }
            guard low <= high else { throw fail("LO \(lowText) is above HI \(highText)") }
            let steps = ((high - low) / step * (1 + 1e-12)).rounded(.down)
            guard steps < Double(Self.maximumValues) else {
                throw fail("\(Int(steps) + 1) values, over the limit of \(Self.maximumValues) per parameter")
            }
            // Each value from LO and its index (no accumulated error); whole when all parts are.
            let whole = [low, high, step].allSatisfy { $0 == $0.rounded() }
            let values = (0...Int(steps)).map { i -> ParameterValue in
                let v = low + Double(i) * step
                return .number(whole ? v.rounded() : v)
            }
            try self.init(name: name, values: values)
        } else {
            var values: [ParameterValue] = []
            for part in spec.split(separator: ",", omittingEmptySubsequences: false) {
                let item = String(part).trimmed
                guard let value = ParameterValue(text: item) else { throw fail("'\(item)' is not a number or true/false") }
                values.append(value)
            }
            try self.init(name: name, values: values)
        }
    }
}

extension String {
    var trimmed: String {
        var s = Substring(self)
        while let f = s.first, f.isWhitespace { s = s.dropFirst() }
        while let l = s.last, l.isWhitespace { s = s.dropLast() }
        return String(s)
    }
}
