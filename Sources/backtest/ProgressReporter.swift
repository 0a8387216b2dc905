import BacktestClient
import Foundation

/// Progress on stderr: a redrawn bar on a terminal, otherwise a plain line at most every
/// second (and at the end).
final class ProgressReporter: @unchecked Sendable {
    private let lock = NSLock()
    private let enabled: Bool
    private let terminal: Bool
    private var lastLine: Double = -1
    private var drewBar = false
    private var last: BatchProgress?

    init(enabled: Bool, terminal: Bool) {
        self.enabled = enabled
        self.terminal = terminal
    }

    func report(_ p: BatchProgress) {
        guard enabled else { return }
        lock.lock()
        defer { lock.unlock() }
        last = p
        if terminal {
            Terminal.stderr("\r" + Self.bar(p) + "\u{1B}[K")
            drewBar = true
        } else if p.done > 0 && (p.done == p.total || p.elapsed - lastLine >= 1) {
            lastLine = p.elapsed
            Terminal.stderr(Self.line(p) + "\n")
        }
    }

    func finish() {
        lock.lock()
        defer { lock.unlock() }
        if drewBar { Terminal.stderr("\n") }
        drewBar = false
    }

    /// `[########............]  40%  4/10  12.5/s  ETA 0.5s  (1 failed)`
    static func bar(_ p: BatchProgress, width: Int = 24) -> String {
        let filled = Int((p.fraction * Double(width)).rounded(.down))
        let bar = String(repeating: "#", count: filled) + String(repeating: ".", count: width - filled)
        return "[\(bar)] " + line(p, prefix: "")
    }

    /// `progress: 40% 4/10 12.5/s ETA 0.5s (1 failed)`
    static func line(_ p: BatchProgress, prefix: String = "progress: ") -> String {
        // `%3d%%  %d/%d` without `String(format:)`, whose first use of an Int argument costs a
        // scan of the binary's conformance records (BENCHMARKS.md, "Start-up").
        let percent = String(Int((p.fraction * 100).rounded(.down)))
        var s = prefix + String(repeating: " ", count: max(0, 3 - percent.count)) + percent + "%  \(p.done)/\(p.total)"
        if let rate = p.rate { s += "  " + FixedPoint.string(rate, decimals: 1) + "/s" }
        if let eta = p.eta { s += "  ETA " + duration(eta) }
        if p.failed > 0 { s += "  (\(p.failed) failed)" }
        return s
    }

    static func duration(_ seconds: Double) -> String {
        if seconds < 10 { return FixedPoint.string(seconds, decimals: 1) + "s" }
        if seconds < 3600 { return "\(Int(seconds) / 60)m\(FixedPoint.twoDigits(Int(seconds) % 60))s" }
        return "\(Int(seconds) / 3600)h\(FixedPoint.twoDigits(Int(seconds) % 3600 / 60))m"
    }
}
