/// The settings built from a sorted command line, checked as ArgumentParser checks the
/// commands that declare them (each part's `validate()`); a value that does not convert or
/// a part that does not validate throws ``FastCommandLine/Unparsed``. No ArgumentParser type
/// is created: its property wrappers' first use costs scans of the binary's conformance
/// records (BENCHMARKS.md, "Start-up").
extension FastCommandLine {
    /// `backtest batch TICKER… [flags]`.
    func batch() throws(Unparsed) -> BatchCommand.Settings {
        var settings = BatchCommand.Settings()
        settings.input = TickerBatchSettings(tickers: positionals, start: value("start"), end: value("end"), engine: try engine())
        settings.workers = try value("workers") { Int($0) }
        settings.remote = try remote()
        settings.format = try required("format") { BatchCommand.Format(rawValue: $0) }
        settings.sort = try value("sort") { BatchCommand.SortKey(rawValue: $0) }
        settings.html = value("html")
        guard settings.problem == nil else { throw Unparsed() }
        return settings
    }

    /// `backtest run [flags]`.
    func run() throws(Unparsed) -> RunCommand.Settings {
        var settings = RunCommand.Settings()
        settings.csv = value("csv")
        settings.request = value("request")
        settings.ticker = value("ticker")
        settings.start = value("start")
        settings.end = value("end")
        settings.remote = try remote()
        settings.engine = try engine()
        settings.format = try required("format") { OutputFormat(rawValue: $0) }
        settings.include = value("include")
        settings.html = value("html")
        return settings
    }

    /// `backtest health [flags]`.
    func health() throws(Unparsed) -> HealthCommand.Settings {
        HealthCommand.Settings(remote: try remote(), json: flags.contains("json"))
    }

    /// ``RemoteSettings``, validated.
    func remote() throws(Unparsed) -> RemoteSettings {
        let settings = RemoteSettings(
            server: value("server"),
            apiKey: value("api-key"),
            caCert: value("ca-cert"),
            connectTimeout: try required("connect-timeout") { Double($0) },
            readTimeout: try required("read-timeout") { Double($0) },
            retries: try required("retries") { Int($0) },
            verbose: flags.contains("verbose")
        )
        guard settings.problem == nil else { throw Unparsed() }
        return settings
    }

    /// ``EngineSettings`` (its values are checked when the request is built).
    func engine() throws(Unparsed) -> EngineSettings {
        EngineSettings(
            strategy: value("strategy"),
            rules: value("rules"),
            rulesText: value("rules-text"),
            params: values["param"] ?? [],
            cash: value("cash"),
            commission: value("commission"),
            spread: value("spread"),
            margin: value("margin"),
            tradeOnClose: flags.contains("trade-on-close"),
            hedging: flags.contains("hedging"),
            exclusiveOrders: flags.contains("exclusive-orders"),
            finalizeTrades: flags.contains("finalize-trades"),
            slPct: value("sl-pct"),
            tpPct: value("tp-pct")
        )
    }
}

/// Settings that run a command (``FastCommandLine/command(_:)``).
protocol RunnableSettings: Sendable {
    /// Does the command's work, as its `run()` does.
    func run() async throws
}

extension BatchCommand.Settings: RunnableSettings {}
extension RunCommand.Settings: RunnableSettings {}
extension HealthCommand.Settings: RunnableSettings {}
