import ArgumentParser
import BacktestAPI
import BacktestEngine
import BacktestJSON
import Foundation

/// `backtest jobs submit --portfolios FILE`: the file's portfolios, read and checked before
/// anything is sent.
extension JobsCommand {
    /// The portfolios of a job file: a JSON list of `POST /v1/portfolios` bodies, or
    /// `{"portfolios": [...]}` (the body of `POST /v1/jobs`). Each entry is decoded and given
    /// the checks that need no data (tickers, includes, dates); what needs the data (weights,
    /// lookbacks, unknown tickers) fails as that portfolio's item on the server.
    ///
    /// - Throws: a ``CLIError`` (exit 2) naming the file and the entry (`portfolios[3]`) with
    ///   its field.
    static func portfolioRequests(file path: String) throws -> [PortfolioRequest] {
        guard let data = FileManager.default.contents(atPath: path) else {
            throw CLIError(message: "--portfolios: cannot read \(path)")
        }
        let json: JSONValue
        do {
            json = try JSONReader.parse(Array(data))
        } catch {
            throw CLIError(message: "\(path): not JSON: \(error.message)")
        }
        let entries = try portfolioEntries(json, path: path)
        guard !entries.isEmpty else {
            throw CLIError(message: "\(path): no portfolios; a job takes 1 to \(BatchRequest.maxJobItems)")
        }
        guard entries.count <= BatchRequest.maxJobItems else {
            throw CLIError(message: "\(path): \(entries.count) portfolios; at most \(BatchRequest.maxJobItems) in a job")
        }
        return try entries.enumerated().map { k, entry in try portfolioRequest(entry, name: "\(path): portfolios[\(k)]") }
    }

    /// The list of entries: the file itself, or its `portfolios` member.
    private static func portfolioEntries(_ json: JSONValue, path: String) throws -> [JSONValue] {
        let shape = "a list of portfolios (each the body of POST /v1/portfolios) or {\"portfolios\": [...]}"
        switch json {
        case .array(let entries):
            return entries
        case .object(let members):
            if let other = members.keys.sorted().first(where: { $0 != "portfolios" }) {
                let single = members["tickers"] != nil && members["portfolios"] == nil
                throw CLIError(message: "\(path): \(single ? "one portfolio" : "unknown member '\(other)'"); expected \(shape)")
            }
            guard case .array(let entries)? = members["portfolios"] else {
                throw CLIError(message: "\(path): portfolios: expected a list of portfolio request objects")
            }
            return entries
        default:
            throw CLIError(message: "\(path): expected \(shape)")
        }
    }

    /// One entry as a request, decoded and checked; errors start with `name`.
    private static func portfolioRequest(_ entry: JSONValue, name: String) throws -> PortfolioRequest {
        guard case .object = entry else { throw CLIError(message: "\(name): expected a portfolio request object") }
        var writer = JSONWriter()
        entry.write(to: &writer)
        do {
            let request = try JSONDecoder().decode(PortfolioRequest.self, from: Data(writer.bytes))
            try request.validate()
            return request
        } catch let error as BacktestError {
            throw CLIError(message: "\(name): \(error.message)")
        } catch {
            throw CLIError(message: "\(name): not a portfolio request (an object with tickers, allocation, schedule, …)")
        }
    }

    /// What of the ticker form is given beside `--portfolios`, if anything: each portfolio
    /// carries its own tickers, dates and settings.
    static func tickerFormFlag(_ input: TickerBatchOptions) -> String? {
        if !input.tickers.isEmpty { return "tickers" }
        if input.start != nil { return "--start" }
        if input.end != nil { return "--end" }
        if !input.engine.isEmpty { return "engine flags (--strategy, --param, --cash, …)" }
        return nil
    }
}
