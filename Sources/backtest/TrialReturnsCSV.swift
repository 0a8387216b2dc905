import BacktestResearch
import Foundation

/// A CSV file of trials' returns: a header row naming the trials, then one row per period
/// with each trial's return (`backtest robustness --returns`).
struct TrialReturnsCSV {
    /// The trials' names, in column order.
    var names: [String]
    /// Each trial's returns, in time order.
    var columns: [[Double]]

    /// Reads and checks `path`; every error is one line naming the file and the line or value.
    static func read(_ path: String) throws(CLIError) -> TrialReturnsCSV {
        let data: Data
        do {
            data = try Data(contentsOf: URL(fileURLWithPath: path))
        } catch {
            throw CLIError(message: "--returns \(path): cannot read the file")
        }
        return try parse(String(decoding: data, as: UTF8.self), path: path)
    }

    /// Parses `text` (the contents of `path`).
    static func parse(_ text: String, path: String) throws(CLIError) -> TrialReturnsCSV {
        var lines = text.split(separator: "\n", omittingEmptySubsequences: false).map { $0.hasSuffix("\r") ? $0.dropLast() : $0 }
        while let last = lines.last, last.allSatisfy(\.isWhitespace) { lines.removeLast() }
        guard let header = lines.first else { throw CLIError(message: "\(path): empty file; expected a header row naming the trials") }
        let names = header.split(separator: ",", omittingEmptySubsequences: false).map { $0.trimmingCharacters(in: .whitespaces) }
        if let blank = names.firstIndex(where: \.isEmpty) {
            throw CLIError(message: "\(path):1: column \(blank + 1) has no trial name")
        }
        guard names.count >= 2 else {
            throw CLIError(message: "\(path):1: one trial ('\(names[0])'); robustness needs at least 2 trials (columns)")
        }
        var columns = [[Double]](repeating: [], count: names.count)
        for (offset, line) in lines.dropFirst().enumerated() {
            let number = offset + 2
            let fields = line.split(separator: ",", omittingEmptySubsequences: false)
            guard fields.count == names.count else {
                throw CLIError(message: "\(path):\(number): \(fields.count) values; the header names \(names.count) trials")
            }
            for (j, field) in fields.enumerated() {
                let text = field.trimmingCharacters(in: .whitespaces)
                guard let value = Double(text), value.isFinite else {
                    throw CLIError(message: "\(path):\(number): column \(names[j]): '\(text)' is not a finite number")
                }
                columns[j].append(value)
            }
        }
        return TrialReturnsCSV(names: names, columns: columns)
    }
}
