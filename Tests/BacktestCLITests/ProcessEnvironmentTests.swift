import Foundation
import Testing

@testable import backtest

/// The CLI's own reading of the environment and of a table line, held to Foundation's and the
/// standard library's.
@Suite("Process environment and table lines")
struct ProcessEnvironmentTests {
    /// `entries` as a null-terminated C list, passed to `body`.
    func withList<R>(_ entries: [String], _ body: (UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>) -> R) -> R {
        var pointers: [UnsafeMutablePointer<CChar>?] = entries.map { strdup($0) } + [nil]
        defer { for pointer in pointers { free(pointer) } }
        return pointers.withUnsafeMutableBufferPointer { buffer in
            guard let base = buffer.baseAddress else { fatalError("an array of at least one element has storage") }
            return body(base)
        }
    }

    @Test("variables() is ProcessInfo's environment (read only: other suites read it meanwhile)")
    func environmentAsFoundationReadsIt() {
        #expect(ProcessEnvironment.variables() == ProcessInfo.processInfo.environment)
    }

    @Test("A list's entries: '=' in values, empty values, no '=', a repeated name, a null list")
    func entriesOfAList() {
        let read = withList(["A=1", "B=x=y", "EMPTY=", "NOEQUALS", "A=2", "=nameless", "É=é"]) { ProcessEnvironment.variables(from: $0) }
        #expect(read == ["A": "1", "B": "x=y", "EMPTY": "", "": "nameless", "É": "é"])
        #expect(withList([]) { ProcessEnvironment.variables(from: $0) } == [:])
        #expect(ProcessEnvironment.variables(from: nil) == [:])
    }

    @Test("TextColumns.line is joined(separator:)")
    func lineIsJoined() {
        let cases: [[String]] = [[], [""], ["a"], ["a", "b"], ["", "", ""], ["AAPL", "12.50", "-", "é日本"]]
        for cells in cases {
            for separator in ["", "  ", ", "] {
                #expect(TextColumns.line(cells, separator: separator) == cells.joined(separator: separator))
            }
        }
    }
}
