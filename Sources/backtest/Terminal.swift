import Foundation

/// The one way the commands write to the standard streams (the C `stdout`/`stderr` globals
/// do not compile in Swift 6 mode).
enum Terminal {
    /// Writes `text` to stdout as is.
    static func stdout(_ text: String) {
        FileHandle.standardOutput.write(data(text))
    }

    /// Writes `text` to stderr as is.
    static func stderr(_ text: String) {
        FileHandle.standardError.write(data(text))
    }

    /// `Data(text.utf8)` from the string's own buffer: `Data`'s generic initialiser from a
    /// sequence makes a dynamic cast whose first use scans the binary's conformance records.
    private static func data(_ text: String) -> Data {
        var text = text
        return text.withUTF8 { Data(buffer: $0) }
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
