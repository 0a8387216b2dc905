import BacktestAPI
import BacktestEngine
import Foundation

/// `backtest portfolio`'s flags turned into a ``PortfolioRequest``, each error naming its flag
/// (or a weights file's line).
struct PortfolioFlags {
    let command: PortfolioCommand

    init(command: PortfolioCommand) {
        self.command = command
    }

    func request() throws -> PortfolioRequest {
        guard let list = command.tickers else { throw CLIError(message: "give the tickers: --tickers AAPL,MSFT,… (or --request FILE)") }
        let tickers = list.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
        guard !tickers.isEmpty else { throw CLIError(message: "--tickers: give at least one ticker") }
        let allocation = try self.allocation()
        var schedule: RebalanceSchedule? = nil
        if case .weights = allocation {
            guard command.rebalance == nil else {
                throw CLIError(message: "--rebalance: a weights schedule (--weights-csv) sets its own dates; drop --rebalance")
            }
        } else {
            guard let text = command.rebalance else {
                throw CLIError(message: "--rebalance: give monthly, weekly, quarterly, every:N or never")
            }
            schedule = try Self.schedule(text)
        }
        return PortfolioRequest(
            tickers: tickers,
            start: command.start,
            end: command.end,
            allocation: allocation,
            schedule: schedule,
            cash: command.cash ?? PortfolioSettings.defaultCash,
            commission: command.commission ?? 0,
            fractional: command.fractional,
            tradeOnClose: command.tradeOnClose
        )
    }

    private func allocation() throws -> PortfolioAllocation {
        guard let name = command.allocation else {
            throw CLIError(message: "--allocation: give one of \(PortfolioAllocation.names.joined(separator: ", "))")
        }
        func lookback() throws -> Int {
            guard let n = command.lookback else { throw CLIError(message: "--allocation \(name) needs --lookback N (bars)") }
            return n
        }
        switch name {
        case "equal": return .equal
        case "fixed":
            guard let text = command.weights else { throw CLIError(message: "--allocation fixed needs --weights T=W,…") }
            return .fixed(try Self.weights(text))
        case "weights":
            guard let path = command.weightsCsv else { throw CLIError(message: "--allocation weights needs --weights-csv FILE") }
            return .weights(try Self.schedule(csv: path))
        case "momentum":
            guard let top = command.top else { throw CLIError(message: "--allocation momentum needs --top K (tickers held)") }
            return .momentum(lookback: try lookback(), top: top)
        case "inverse_volatility": return .inverseVolatility(lookback: try lookback())
        default:
            throw CLIError(message: "--allocation: unknown allocation '\(name)'; allowed: \(PortfolioAllocation.names.joined(separator: ", "))")
        }
    }

    /// `monthly`, `weekly`, `quarterly`, `never` or `every:N`.
    static func schedule(_ text: String) throws -> RebalanceSchedule {
        switch text {
        case "monthly": return .monthly
        case "weekly": return .weekly
        case "quarterly": return .quarterly
        case "never": return .never
        default:
            guard text.hasPrefix("every:"), let n = Int(text.dropFirst(6)) else {
                throw CLIError(message: "--rebalance: unknown schedule '\(text)'; allowed: monthly, weekly, quarterly, every:N, never")
            }
            guard n >= 1 else { throw CLIError(message: "--rebalance: every:\(n) needs N >= 1 (bars between decisions)") }
            return .everyNBars(n)
        }
    }

    /// `AAPL=0.6,MSFT=0.4`.
    static func weights(_ text: String) throws -> [String: Double] {
        var out: [String: Double] = [:]
        for part in text.split(separator: ",") {
            let pair = part.split(separator: "=", maxSplits: 1).map { $0.trimmingCharacters(in: .whitespaces) }
            guard pair.count == 2, !pair[0].isEmpty, let w = Double(pair[1]), w.isFinite else {
                throw CLIError(message: "--weights: '\(part)' is not TICKER=WEIGHT")
            }
            guard out.updateValue(w, forKey: pair[0]) == nil else { throw CLIError(message: "--weights: \(pair[0]) is given twice") }
        }
        return out
    }

    /// A weights schedule file: a header `date,T1,T2,…`, then one row per date; an empty cell
    /// is 0.
    static func schedule(csv path: String) throws -> [WeightEntry] {
        guard let data = FileManager.default.contents(atPath: path) else { throw CLIError(message: "--weights-csv: cannot read \(path)") }
        let lines = String(decoding: data, as: UTF8.self).split(omittingEmptySubsequences: false, whereSeparator: \.isNewline)
        guard let header = lines.first?.split(separator: ",", omittingEmptySubsequences: false).map({ $0.trimmingCharacters(in: .whitespaces) }),
            header.count >= 2, header[0].lowercased() == "date"
        else {
            throw CLIError(message: "\(path):1: the header must be date,TICKER,… (one column per ticker)")
        }
        var entries: [WeightEntry] = []
        for (k, line) in lines.enumerated().dropFirst() where !line.trimmingCharacters(in: .whitespaces).isEmpty {
            let cells = line.split(separator: ",", omittingEmptySubsequences: false).map { $0.trimmingCharacters(in: .whitespaces) }
            guard cells.count == header.count else {
                throw CLIError(message: "\(path):\(k + 1): \(cells.count) cells; the header has \(header.count)")
            }
            guard cells[0].count == 10, let date = Timestamp.parse(cells[0]) else {
                throw CLIError(message: "\(path):\(k + 1): '\(cells[0])' is not a date (YYYY-MM-DD)")
            }
            var weights: [String: Double] = [:]
            for (ticker, cell) in zip(header.dropFirst(), cells.dropFirst()) where !cell.isEmpty {
                guard let w = Double(cell), w.isFinite else {
                    throw CLIError(message: "\(path):\(k + 1): '\(cell)' is not a number (column \(ticker))")
                }
                if w != 0 { weights[ticker] = w }
            }
            entries.append(WeightEntry(date: date, weights: weights))
        }
        guard !entries.isEmpty else { throw CLIError(message: "\(path): no rows after the header") }
        return entries
    }

    /// `--csv TICKER=FILE` flags as a map.
    static func csvFiles(_ flags: [String]) throws -> [String: String] {
        var out: [String: String] = [:]
        for flag in flags {
            let pair = flag.split(separator: "=", maxSplits: 1).map(String.init)
            guard pair.count == 2, !pair[0].isEmpty, !pair[1].isEmpty else {
                throw CLIError(message: "--csv: '\(flag)' is not TICKER=FILE")
            }
            out[pair[0]] = pair[1]
        }
        return out
    }

    /// A request file: a portfolio request object, or a reference file's `case` object.
    static func decode(_ data: Data, source: String) throws -> PortfolioRequest {
        do {
            return try JSONDecoder().decode(PortfolioRequest.self, from: data)
        } catch let error as BacktestError {
            throw CLIError(message: "\(source): \(error.message)")
        } catch {
            throw CLIError(message: "\(source): not a portfolio request (JSON object with tickers, allocation, schedule, …)")
        }
    }
}
