/// The command lines people run in loops (`batch`, `run`, `health`), parsed by hand.
///
/// ArgumentParser finds a command's options by reflection, and every first dynamic cast it
/// makes scans all the protocol conformance records of this large static binary: that was a
/// quarter of a 60-backtest `backtest batch` (BENCHMARKS.md, "Start-up"). This parser reads
/// the plain spellings (`--name value`, `--name=value`, flags, tickers) and builds the
/// commands' settings (`BatchCommand.Settings`, …) with the values ArgumentParser would give
/// them, creating no ArgumentParser type; anything else (help, a name it does not know, a
/// repeated option, a value that looks like a flag, a value that does not convert, a failed
/// `validate()`) returns `nil` and the caller parses with ArgumentParser, so help and every
/// usage error print exactly what they did. `FastCommandLineTests` holds the tables below to
/// the commands' declarations (`--experimental-dump-help`).
struct FastCommandLine {
    /// What a name takes.
    enum Kind: Equatable, Sendable {
        /// `--name`, no value.
        case flag
        /// `--name VALUE`, at most once.
        case value
        /// `--name VALUE`, repeatable, each adding one value.
        case values
    }

    /// One option or flag of a command.
    struct Spec: Equatable, Sendable {
        var kind: Kind
        /// The declared default as ArgumentParser prints it, for options that have one.
        var defaultValue: String?

        static let flag = Spec(kind: .flag)
        static let value = Spec(kind: .value)
        static let values = Spec(kind: .values)
        static func value(default text: String) -> Spec { Spec(kind: .value, defaultValue: text) }
    }

    /// The options of a command by long name, and whether it takes positional arguments.
    struct Table: Sendable {
        var options: [String: Spec]
        var takesPositionals: Bool
    }

    /// `RemoteOptions` (``RemoteSettings``).
    static let remote: [String: Spec] = [
        "server": .value, "api-key": .value, "ca-cert": .value, "verbose": .flag,
        "connect-timeout": .value(default: String(RemoteSettings.defaults.connectTimeout)),
        "read-timeout": .value(default: String(RemoteSettings.defaults.readTimeout)),
        "retries": .value(default: String(RemoteSettings.defaults.retries)),
    ]

    /// `EngineOptions`.
    static let engine: [String: Spec] = [
        "strategy": .value, "rules": .value, "rules-text": .value, "param": .values, "cash": .value, "commission": .value, "spread": .value,
        "margin": .value, "trade-on-close": .flag, "hedging": .flag, "exclusive-orders": .flag, "finalize-trades": .flag, "sl-pct": .value,
        "tp-pct": .value,
    ]

    /// The commands this parser serves.
    static let tables: [String: Table] = [
        "batch": Table(
            options: remote.merging(engine) { a, _ in a }.merging([
                "start": .value, "end": .value, "workers": .value, "format": .value(default: BatchCommand.Settings().format.rawValue), "sort": .value,
                "html": .value,
            ]) { a, _ in a },
            takesPositionals: true
        ),
        "run": Table(
            options: remote.merging(engine) { a, _ in a }.merging([
                "csv": .value, "request": .value, "ticker": .value, "start": .value, "end": .value,
                "format": .value(default: RunCommand.Settings().format.rawValue),
                "include": .value, "html": .value,
            ]) { a, _ in a },
            takesPositionals: false
        ),
        "health": Table(options: remote.merging(["json": .flag]) { a, _ in a }, takesPositionals: false),
    ]

    let table: Table
    /// Values by option name, in the order given.
    private(set) var values: [String: [String]] = [:]
    /// The flags given.
    private(set) var flags: Set<String> = []
    /// The positional arguments, in order.
    private(set) var positionals: [String] = []

    /// The command `arguments` (without the program name) spell, ready to run; `nil` when
    /// ArgumentParser should parse them.
    static func command(_ arguments: [String]) -> (any RunnableSettings)? {
        guard let name = arguments.first, let table = tables[name],
            let line = FastCommandLine(arguments.dropFirst(), table: table)
        else { return nil }
        switch name {
        case "batch": return try? line.batch()
        case "run": return try? line.run()
        case "health": return try? line.health()
        default: return nil
        }
    }

    /// Sorts `tokens` by `table`; `nil` at the first token it does not fully understand.
    init?(_ tokens: ArraySlice<String>, table: Table) {
        self.table = table
        var rest = tokens
        while let token = rest.popFirst() {
            // "help", "-h", "--", "-x" and empty tokens mean something else to ArgumentParser.
            guard !token.isEmpty, token != "help" else { return nil }
            guard token.hasPrefix("-") else {
                guard table.takesPositionals else { return nil }
                positionals.append(token)
                continue
            }
            guard token.hasPrefix("--"), token.count > 2 else { return nil }
            var name = token.dropFirst(2)
            var inline: Substring?
            if let equals = name.firstIndex(of: "=") {
                inline = name[name.index(after: equals)...]
                name = name[..<equals]
            }
            guard let spec = table.options[String(name)] else { return nil }
            if spec.kind == .flag {
                guard inline == nil, flags.insert(String(name)).inserted else { return nil }
                continue
            }
            guard let value = inline.map(String.init) ?? rest.popFirst(), !value.isEmpty, !value.hasPrefix("-"), value != "help" else {
                return nil
            }
            if spec.kind == .value, values[String(name)] != nil { return nil }
            values[String(name), default: []].append(value)
        }
    }

    /// Why a command line goes to ArgumentParser after all.
    struct Unparsed: Error {}

    /// The value of `name`, or its declared default.
    func value(_ name: String) -> String? {
        values[name]?.last ?? table.options[name]?.defaultValue
    }

    /// The value of `name` (or its default) converted as ArgumentParser converts it; `nil`
    /// when neither is there, ``Unparsed`` when it does not convert.
    func value<T>(_ name: String, _ convert: (String) -> T?) throws(Unparsed) -> T? {
        guard let text = value(name) else { return nil }
        guard let converted = convert(text) else { throw Unparsed() }
        return converted
    }

    /// The value of an option that has a default.
    func required<T>(_ name: String, _ convert: (String) -> T?) throws(Unparsed) -> T {
        guard let converted = try value(name, convert) else { throw Unparsed() }
        return converted
    }
}
