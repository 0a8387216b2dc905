import ArgumentParser

/// The commands built from a sorted command line: every property set (a property
/// ArgumentParser did not parse cannot be read), then each part's `validate()`, as
/// ArgumentParser calls it; a value that does not convert or a part that does not validate
/// throws ``FastCommandLine/Unparsed``.
extension FastCommandLine {
    /// `backtest batch TICKER… [flags]`.
    func batch() throws(Unparsed) -> BatchCommand {
        var input = TickerBatchOptions()
        input.tickers = positionals
        input.start = value("start")
        input.end = value("end")
        input.engine = try engine()
        try validated(input)
        var command = BatchCommand()
        command.input = input
        command.workers = try value("workers") { Int($0) }
        command.remote = try remote()
        command.format = try required("format") { BatchCommand.Format(rawValue: $0) }
        command.sort = try value("sort") { BatchCommand.SortKey(rawValue: $0) }
        command.html = value("html")
        try validated(command)
        return command
    }

    /// `backtest run [flags]`.
    func run() throws(Unparsed) -> RunCommand {
        var command = RunCommand()
        command.csv = value("csv")
        command.request = value("request")
        command.ticker = value("ticker")
        command.start = value("start")
        command.end = value("end")
        command.remote = try remote()
        command.engine = try engine()
        command.format = try required("format") { OutputFormat(rawValue: $0) }
        command.include = value("include")
        command.html = value("html")
        try validated(command)
        return command
    }

    /// `backtest health [flags]`.
    func health() throws(Unparsed) -> HealthCommand {
        var command = HealthCommand()
        command.remote = try remote()
        command.json = flags.contains("json")
        try validated(command)
        return command
    }

    /// `RemoteOptions`, validated.
    func remote() throws(Unparsed) -> RemoteOptions {
        var options = RemoteOptions()
        options.server = value("server")
        options.apiKey = value("api-key")
        options.caCert = value("ca-cert")
        options.connectTimeout = try required("connect-timeout") { Double($0) }
        options.readTimeout = try required("read-timeout") { Double($0) }
        options.retries = try required("retries") { Int($0) }
        options.verbose = flags.contains("verbose")
        try validated(options)
        return options
    }

    /// `EngineOptions`, validated (its values are checked when the request is built).
    func engine() throws(Unparsed) -> EngineOptions {
        var options = EngineOptions()
        options.strategy = value("strategy")
        options.rules = value("rules")
        options.rulesText = value("rules-text")
        options.params = values["param"] ?? []
        options.cash = value("cash")
        options.commission = value("commission")
        options.spread = value("spread")
        options.margin = value("margin")
        options.tradeOnClose = flags.contains("trade-on-close")
        options.hedging = flags.contains("hedging")
        options.exclusiveOrders = flags.contains("exclusive-orders")
        options.finalizeTrades = flags.contains("finalize-trades")
        options.slPct = value("sl-pct")
        options.tpPct = value("tp-pct")
        try validated(options)
        return options
    }

    /// Runs `validate()`; a failure is ArgumentParser's to report.
    private func validated(_ part: some ParsableArguments) throws(Unparsed) {
        var part = part
        do {
            try part.validate()
        } catch {
            throw Unparsed()
        }
    }
}
