import BacktestAPI
import BacktestEngine
import Foundation

/// The strategy and broker flags of ``EngineOptions`` as a plain value, turned into a request;
/// ``FastCommandLine`` builds it without ArgumentParser.
struct EngineSettings: Equatable, Sendable {
    /// `--strategy`.
    var strategy: String?
    /// `--rules FILE`.
    var rules: String?
    /// `--rules-text`.
    var rulesText: String?
    /// `--param KEY=VALUE`, in order.
    var params: [String] = []
    /// `--cash`, as typed.
    var cash: String?
    /// `--commission R` or `FIXED,R`, as typed.
    var commission: String?
    /// `--spread`, as typed.
    var spread: String?
    /// `--margin`, as typed.
    var margin: String?
    /// `--trade-on-close`.
    var tradeOnClose = false
    /// `--hedging`.
    var hedging = false
    /// `--exclusive-orders`.
    var exclusiveOrders = false
    /// `--finalize-trades`.
    var finalizeTrades = false
    /// `--sl-pct`, as typed.
    var slPct: String?
    /// `--tp-pct`, as typed.
    var tpPct: String?

    /// The rules program of `--rules FILE` or `--rules-text`, if any.
    func rulesSource() throws(CLIError) -> String? {
        switch (rules, rulesText) {
        case (nil, nil): return nil
        case (let path?, nil):
            guard let data = FileManager.default.contents(atPath: path) else { throw CLIError(message: "--rules: cannot read \(path)") }
            guard let text = String(data: data, encoding: .utf8) else { throw CLIError(message: "--rules \(path): not UTF-8 text") }
            return text
        case (nil, let text?): return text
        default: throw CLIError(message: "--rules and --rules-text exclude each other")
        }
    }

    /// `true` when any engine flag was given.
    var isEmpty: Bool {
        strategy == nil && rules == nil && rulesText == nil && params.isEmpty && cash == nil && commission == nil && spread == nil && margin == nil
            && !tradeOnClose && !hedging && !exclusiveOrders && !finalizeTrades && slPct == nil && tpPct == nil
    }

    /// Builds the request (without data source), validating every value.
    func request(defaultStrategy: String? = nil) throws(CLIError) -> BacktestRequest {
        let program = try rulesSource()
        if program != nil, let strategy, strategy != BacktestRequest.rulesStrategy {
            throw CLIError(message: "--strategy and --rules exclude each other")
        }
        guard let name = program != nil ? BacktestRequest.rulesStrategy : strategy ?? defaultStrategy else {
            throw CLIError(message: "missing --strategy (see `backtest strategies`) or --rules FILE")
        }
        var request = BacktestRequest(strategy: name)
        request.rules = program
        for item in params {
            guard let eq = item.firstIndex(of: "="), eq != item.startIndex else {
                throw CLIError(message: "--param '\(item)': expected KEY=VALUE")
            }
            let key = String(item[..<eq])
            let text = String(item[item.index(after: eq)...])
            guard let value = ParameterValue(text: text) else {
                throw CLIError(message: "--param \(key): '\(text)' is not a number or true/false")
            }
            request.params[key] = value
        }
        if let cash { request.cash = try number(cash, "--cash") }
        if let commission {
            let parts = commission.split(separator: ",", omittingEmptySubsequences: false).map(String.init)
            switch parts.count {
            case 1: request.commission = Commission(relative: try number(parts[0], "--commission"))
            case 2: request.commission = Commission(fixed: try number(parts[0], "--commission"), relative: try number(parts[1], "--commission"))
            default: throw CLIError(message: "--commission '\(commission)': expected R or FIXED,R")
            }
        }
        if let spread { request.spread = try number(spread, "--spread") }
        if let margin { request.margin = try number(margin, "--margin") }
        request.tradeOnClose = tradeOnClose
        request.hedging = hedging
        request.exclusiveOrders = exclusiveOrders
        request.finalizeTrades = finalizeTrades
        if let slPct { request.slPct = try number(slPct, "--sl-pct") }
        if let tpPct { request.tpPct = try number(tpPct, "--tp-pct") }
        return request
    }

    private func number(_ text: String, _ flag: String) throws(CLIError) -> Double {
        guard let v = Double(text.trimmingCharacters(in: .whitespaces)), v.isFinite else {
            throw CLIError(message: "\(flag): '\(text)' is not a number")
        }
        return v
    }
}
