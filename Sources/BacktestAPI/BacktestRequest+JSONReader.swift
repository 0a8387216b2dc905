import BacktestEngine
import BacktestJSON

extension BacktestRequest {
    /// Reads a request the way ``init(from:)`` reads it, from a document parsed by
    /// ``BacktestJSON/JSONReader``: the server's fast path for the requests it reads most
    /// (`POST /v1/backtests`, each batch item), where `JSONDecoder` and the keyed containers
    /// were a fifth of a batch call's CPU (BENCHMARKS.md, "Sixth round").
    ///
    /// It reads only what it is sure of: an object whose members are all known fields, each
    /// of the type ``init(from:)`` takes (or `null`), that ``init(from:)`` would accept. For
    /// anything else (an unknown or mistyped member, a strategy given with rules, a
    /// commission list that is not a pair) it returns `nil`, and the caller decodes with
    /// `JSONDecoder`, which gives the same request or the error with its words.
    /// `RequestReaderTests` hold the two to the same results.
    ///
    /// ```swift
    /// let json = try JSONReader.parse(body, rejectingDuplicateKeys: true)
    /// let request = BacktestRequest(plainJSON: json) ?? (try JSONDecoder().decode(BacktestRequest.self, from: Data(body)))
    /// ```
    package init?(plainJSON json: JSONValue) {
        guard case .object(let members) = json, members.keys.allSatisfy(Self.fieldNameSet.contains) else { return nil }
        let reader = PlainMembers(members)
        guard let rules = reader.string(.rules), let named = reader.string(.strategy) else { return nil }
        guard let strategy = named ?? (rules != nil ? Self.rulesStrategy : nil), rules == nil || strategy == Self.rulesStrategy,
            strategy != Self.rulesStrategy || rules != nil
        else { return nil }
        guard let data = reader.string(.data), let ticker = reader.string(.ticker), let start = reader.string(.start),
            let end = reader.string(.end), let params = reader.params(), let cash = reader.number(.cash),
            let commission = reader.commission(), let spread = reader.number(.spread), let margin = reader.number(.margin),
            let tradeOnClose = reader.flag(.tradeOnClose), let hedging = reader.flag(.hedging),
            let exclusiveOrders = reader.flag(.exclusiveOrders), let finalizeTrades = reader.flag(.finalizeTrades),
            let slPct = reader.number(.slPct), let tpPct = reader.number(.tpPct), let include = reader.strings(.include)
        else { return nil }
        self.init(
            data: data,
            ticker: ticker,
            start: start,
            end: end,
            strategy: strategy,
            params: params,
            cash: cash ?? BacktestSettings.defaultCash,
            commission: commission,
            spread: spread ?? 0,
            margin: margin ?? 1,
            tradeOnClose: tradeOnClose ?? false,
            hedging: hedging ?? false,
            exclusiveOrders: exclusiveOrders ?? false,
            finalizeTrades: finalizeTrades ?? false,
            slPct: slPct,
            tpPct: tpPct,
            include: include,
            rules: rules
        )
    }

    /// ``fieldNames`` as a set, built once.
    static let fieldNameSet: Set<String> = Set(fieldNames)

    /// The members of a request object, each read as ``init(from:)`` reads it: the outer
    /// optional is `nil` when the member has another type (the fast path gives up), the inner
    /// one when it is absent or `null`.
    private struct PlainMembers {
        let members: [String: JSONValue]

        init(_ members: [String: JSONValue]) { self.members = members }

        private func value(_ key: CodingKeys) -> JSONValue? {
            switch members[key.rawValue] {
            case nil, .null?: return nil
            case let value?: return value
            }
        }

        /// The member `key` as `read` reads it: `.some(nil)` when absent or `null`, `nil` when
        /// `read` refuses it.
        private func member<T>(_ key: CodingKeys, _ read: (JSONValue) -> T?) -> T?? {
            guard let value = value(key) else { return .some(nil) }
            guard let read = read(value) else { return nil }
            return read
        }

        func string(_ key: CodingKeys) -> String?? { member(key, \.stringValue) }

        func number(_ key: CodingKeys) -> Double?? { member(key, \.numberValue) }

        func flag(_ key: CodingKeys) -> Bool?? {
            member(key) { value in
                if case .bool(let flag) = value { return flag }
                return nil
            }
        }

        func strings(_ key: CodingKeys) -> [String]?? {
            member(key) { value in
                guard let elements = value.arrayValue else { return nil }
                var texts: [String] = []
                texts.reserveCapacity(elements.count)
                for element in elements {
                    guard let text = element.stringValue else { return nil }
                    texts.append(text)
                }
                return texts
            }
        }

        /// `params`: numbers and booleans by name (`{}` when absent).
        func params() -> [String: ParameterValue]? {
            guard let params = value(.params) else { return [:] }
            guard let entries = params.objectValue else { return nil }
            var values: [String: ParameterValue] = [:]
            values.reserveCapacity(entries.count)
            for (name, entry) in entries {
                switch entry {
                case .bool(let flag): values[name] = .bool(flag)
                case .number(let number): values[name] = .number(number)
                default: return nil
                }
            }
            return values
        }

        /// `commission`: a relative rate, or `[fixed, relative]`.
        func commission() -> Commission? {
            switch value(.commission) {
            case nil: return Commission(relative: 0)
            case .number(let relative)?: return Commission(relative: relative)
            case .array(let pair)? where pair.count == 2:
                guard case .number(let fixed) = pair[0], case .number(let relative) = pair[1] else { return nil }
                return Commission(fixed: fixed, relative: relative)
            default: return nil
            }
        }
    }
}
