import Foundation
import Testing

@testable import backtest

/// The CLI's own reading of the environment and of a table line, held to Foundation's and the
/// standard library's.
@Suite("Process environment and table lines")
struct ProcessEnvironmentTests {
    @Test("variables() is ProcessInfo's environment, values with '=' and empty ones included")
    func environmentAsFoundationReadsIt() {
        setenv("BACKTEST_TEST_EQUALS", "a=b=c", 1)
        setenv("BACKTEST_TEST_EMPTY", "", 1)
        defer {
            unsetenv("BACKTEST_TEST_EQUALS")
            unsetenv("BACKTEST_TEST_EMPTY")
        }
        let variables = ProcessEnvironment.variables()
        #expect(variables == ProcessInfo.processInfo.environment)
        #expect(variables["BACKTEST_TEST_EQUALS"] == "a=b=c")
        #expect(variables["BACKTEST_TEST_EMPTY"] == "")
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
