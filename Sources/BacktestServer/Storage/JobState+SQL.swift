import BacktestAPI

extension JobState {
    /// The states of a job that may still run (`queued`, `running`).
    static let active: [JobState] = allCases.filter { !$0.hasEnded }
    /// The states after which a job never runs again (`done`, `failed`, `cancelled`).
    static let ended: [JobState] = allCases.filter(\.hasEnded)

    /// `states` as an SQL list of literals, e.g. `'queued', 'running'` (the raw values are
    /// fixed identifiers, never user input).
    static func sqlList(_ states: [JobState]) -> String {
        states.map { "'\($0.rawValue)'" }.joined(separator: ", ")
    }
}
