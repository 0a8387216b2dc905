import Foundation

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// The folder for this test process's throw-away files (databases, data folders).
///
/// Most tests open a database and never delete it (an in-process router test has no end to
/// hook), so the files are gathered in one folder per process, `…/backtest-server-tests/PID/`,
/// and the first test of the next run removes the folders of processes that are gone. A run
/// leaves at most its own files behind, instead of a thousand more each time.
enum TestScratch {
    /// This process's folder, ending in `/`; created, and the dead processes' folders swept,
    /// on first use.
    static let directory: String = {
        let root = NSTemporaryDirectory() + "backtest-server-tests/"
        sweep(root)
        let folder = root + "\(getpid())/"
        try? FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        return folder
    }()

    /// A fresh path in ``directory`` named `prefix-UUID` plus `suffix`.
    static func path(_ prefix: String, suffix: String = "") -> String {
        directory + prefix + "-" + UUID().uuidString + suffix
    }

    /// Removes the folders under `root` whose process no longer exists.
    private static func sweep(_ root: String) {
        let entries = (try? FileManager.default.contentsOfDirectory(atPath: root)) ?? []
        for entry in entries {
            guard let pid = Int32(entry), pid != getpid() else { continue }
            if kill(pid, 0) != 0, errno == ESRCH {
                try? FileManager.default.removeItem(atPath: root + entry)
            }
        }
    }
}
