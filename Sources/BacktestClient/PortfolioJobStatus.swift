import BacktestAPI
import BacktestJSON

/// A portfolio job as `GET /v1/jobs/{id}` shows it: its state, its progress and, once it has
/// ended, one item per portfolio in request order (partial when cancelled).
public struct PortfolioJobStatus: Sendable {
    /// The job's id.
    public var id: String
    /// Its state.
    public var status: JobState
    /// Portfolios finished and in all.
    public var progress: JobProgress
    /// Once the job has ended: its items in request order; nil while it runs.
    public var items: [PortfolioJobItem]?

    /// Reads the reply of `GET /v1/jobs/{id}` for a portfolio job.
    ///
    /// - Throws: a ``JSONReadError`` naming the member that is not as documented.
    public init(json: JSONValue) throws(JSONReadError) {
        guard case .object(let members) = json else { throw JSONReadError(message: "status: expected an object") }
        guard case .string(let id)? = members["id"] else { throw JSONReadError(message: "status.id: expected a string") }
        guard case .string(let state)? = members["status"], let status = JobState(rawValue: state) else {
            throw JSONReadError(message: "status.status: expected a job state")
        }
        guard case .object(let progress)? = members["progress"], case .number(let done)? = progress["done"],
            case .number(let total)? = progress["total"], let doneCount = Int(exactly: done), let totalCount = Int(exactly: total)
        else { throw JSONReadError(message: "status.progress: expected {done, total}") }
        self.id = id
        self.status = status
        self.progress = JobProgress(done: doneCount, total: totalCount)
        switch members["results"] {
        case nil, .null?:
            items = nil
        case .array(let elements)?:
            var read: [PortfolioJobItem] = []
            for (k, element) in elements.enumerated() { read.append(try PortfolioJobItem(json: element, path: "status.results[\(k)]")) }
            items = read
        default:
            throw JSONReadError(message: "status.results: expected an array")
        }
    }
}

/// One portfolio of a portfolio job: the reply `POST /v1/portfolios` gives for it (`tickers`,
/// `stats`, `positions`, `cash`, and what its `include` asked for), or why it failed.
public struct PortfolioJobItem: Sendable {
    /// The portfolio's index in the request.
    public var index: Int
    /// Its reply, as JSON; nil when it failed.
    public var result: JSONValue?
    /// Why it failed (a bad entry names its field; an unknown ticker is a 404 problem).
    public var error: Problem?

    /// A statistic of the result by its key (`return_pct`, `sharpe_ratio`, …): nil when the
    /// item failed or has no such number (`null` is NaN on the wire).
    public func statistic(_ key: String) -> Double? {
        guard case .object(let reply)? = result, case .object(let stats)? = reply["stats"] else { return nil }
        switch stats[key] {
        case .number(let value)?: return value
        case .null?: return .nan
        default: return nil
        }
    }

    /// Reads one item of a portfolio job's `results`.
    public init(json: JSONValue, path: String) throws(JSONReadError) {
        guard case .object(let members) = json else { throw JSONReadError(message: "\(path): expected an object") }
        // A batch's item (with `ticker`, a backtest's reply) is not one.
        if let other = members.keys.sorted().first(where: { !["index", "result", "error"].contains($0) }) {
            throw JSONReadError(message: "\(path).\(other): not a member of a portfolio job's item")
        }
        guard case .number(let number)? = members["index"], let index = Int(exactly: number) else {
            throw JSONReadError(message: "\(path).index: expected a whole number")
        }
        self.index = index
        switch members["result"] {
        case nil, .null?: result = nil
        case .object(let reply)?: result = .object(reply)
        default: throw JSONReadError(message: "\(path).result: expected a portfolio reply object")
        }
        error = try members["error"].flatMap { (value) throws(JSONReadError) -> Problem? in
            value == .null ? nil : try Problem(json: value, path: path + ".error")
        }
        if result == nil, error == nil { throw JSONReadError(message: "\(path): neither a result nor an error") }
    }
}
