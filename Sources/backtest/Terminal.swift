import Foundation

/// The one way the commands write to the standard streams (the C `stdout`/`stderr` globals
/// do not compile in Swift 6 mode).
enum Terminal {
    /// Writes `text` to stdout as is.
    static func stdout(_ text: String) {
        FileHandle.standardOutput.write(Data(text.utf8))
    }

    /// Writes `text` to stderr as is.
    static func stderr(_ text: String) {
        FileHandle.standardError.write(Data(text.utf8))
    }

    /// Writes `error: MESSAGE` and a newline to stderr.
    static func error(_ message: String) {
        stderr("error: \(message)\n")
    }

    /// `true` when stderr is a terminal (progress bars go there).
    static var stderrIsTerminal: Bool { isatty(2) == 1 }
}

extension Duration {
    /// The duration in seconds.
    var seconds: Double {
        let (seconds, attoseconds) = components
        return Double(seconds) + Double(attoseconds) / 1e18
    }
}
