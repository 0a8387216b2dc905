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

    /// One option of a command by its long name.
    struct Option: Sendable {
        var name: String
        var spec: Spec

        init(_ name: String, _ spec: Spec) {
            self.name = name
            self.spec = spec
        }
    }

    /// The options of a command, and whether it takes positional arguments. A list searched in
    /// order, not a dictionary: building and merging dictionaries at start-up touched code
    /// no other part of these commands needs (a few % of a `batch`, in page faults).
    struct Table: Sendable {
        var options: [Option]
        var takesPositionals: Bool

        /// The option called `name`, if the command has it.
        func spec(_ name: some StringProtocol) -> Spec? {
            options.first { $0.name == name }?.spec
        }
    }

    /// `RemoteOptions` (``RemoteSettings``).
    static let remote: [Option] = [
        Option("server", .value), Option("api-key", .value), Option("ca-cert", .value), Option("verbose", .flag),
        Option("connect-timeout", .value(default: String(RemoteSettings.defaults.connectTimeout))),
        Option("read-timeout", .value(default: String(RemoteSettings.defaults.readTimeout))),
        Option("retries", .value(default: String(RemoteSettings.defaults.retries))),
    ]

    /// `EngineOptions`.
    static let engine: [Option] = [
        Option("strategy", .value), Option("rules", .value), Option("rules-text", .value), Option("param", .values), Option("cash", .value),
        Option("commission", .value), Option("spread", .value), Option("margin", .value), Option("trade-on-close", .flag),
        Option("hedging", .flag), Option("exclusive-orders", .flag), Option("finalize-trades", .flag), Option("sl-pct", .value),
        Option("tp-pct", .value),
    ]

    /// The table of a command this parser serves.
    static func table(_ command: String) -> Table? {
        switch command {
        case "batch":
            let own = [
                Option("start", .value), Option("end", .value), Option("workers", .value),
                Option("format", .value(default: BatchCommand.Settings().format.rawValue)), Option("sort", .value), Option("html", .value),
            ]
            return Table(options: remote + engine + own, takesPositionals: true)
        case "run":
            let own = [
                Option("csv", .value), Option("request", .value), Option("ticker", .value), Option("start", .value), Option("end", .value),
                Option("format", .value(default: RunCommand.Settings().format.rawValue)), Option("include", .value), Option("html", .value),
            ]
            return Table(options: remote + engine + own, takesPositionals: false)
        case "health":
            return Table(options: remote + [Option("json", .flag)], takesPositionals: false)
        default:
            return nil
        }
    }

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
        guard let name = arguments.first, let table = table(name),
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
            guard let spec = table.spec(name) else { return nil }
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
        values[name]?.last ?? table.spec(name)?.defaultValue
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
