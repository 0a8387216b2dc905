import BacktestClient
import Foundation
import Testing

@testable import backtest

/// The batch summary's and progress line's text, built without `String(format:)` or an
/// `NSString` bridge where those cost start-up time, is what the Foundation calls printed.
@Suite("batch output text")
struct BatchOutputTests {
    @Test("the progress line's counts read as %3d%%  %d/%d", arguments: [0, 1, 2, 7, 60, 99, 100, 1000, 123_456])
    func progressLine(_ total: Int) {
        for done in Set([0, 1, total / 3, total / 2, total - 1, total].filter { $0 >= 0 && $0 <= total }) {
            for elapsed in [0.0, 0.004, 1.5, 12.25, 4000] {
                let p = BatchProgress(done: done, total: total, failed: done / 7, elapsed: elapsed)
                var expected = "progress: " + String(format: "%3d%%  %d/%d", Int((p.fraction * 100).rounded(.down)), p.done, p.total)
                if let rate = p.rate { expected += String(format: "  %.1f/s", rate) }
                if let eta = p.eta { expected += "  ETA " + ProgressReporter.duration(eta) }
                if p.failed > 0 { expected += "  (\(p.failed) failed)" }
                #expect(ProgressReporter.line(p) == expected)
            }
        }
    }

    @Test(
        "a ticker cell is padded as NSString pads it",
        arguments: ["", "A", "AAPL", "BRK-B*", "^GSPC", "ÄPFEL", "e\u{301}", "日本株", "😀X", "AAPL.SW*"]
    )
    func padding(_ cell: String) {
        for width in 0...12 {
            #expect(BatchSummary.padded(cell, to: width) == cell.padding(toLength: width, withPad: " ", startingAt: 0), "width \(width)")
        }
    }
}
