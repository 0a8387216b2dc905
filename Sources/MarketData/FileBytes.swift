#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// A whole file's bytes, read with `open`, `fstat` and `read`.
///
/// `Data(contentsOf:)` reads the same bytes, but its first use in a process builds a
/// `Set<UInt8>` in Foundation's generic code, which looks the type up by its mangled name and so
/// scans all of the binary's protocol conformance records (4 % of the instructions of a
/// `backtest run --csv`: BENCHMARKS.md, "Seventh round"). Callers fall back to
/// `Data(contentsOf:)` when this returns `nil`, so that a failure is reported in Foundation's
/// words as before.
///
/// ```swift
/// if let bytes = FileBytes.contents(ofPath: "GOOG.csv") { … }
/// ```
enum FileBytes {
    /// The file's bytes; `nil` when it cannot be opened, is a folder, or a read fails.
    ///
    /// A pipe or other file without a size is read from the same descriptor to its end (opening
    /// it a second time for the fallback could lose what a writer already sent).
    static func contents(ofPath path: String) -> [UInt8]? {
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { return nil }
        defer { close(fd) }
        var status = stat()
        guard fstat(fd, &status) == 0, status.st_mode & S_IFMT != S_IFDIR else { return nil }
        // One byte more than the size, so that reaching the end takes a single `read` of 0; a
        // file that grows meanwhile (or has no size) is read to its end.
        var bytes = [UInt8](repeating: 0, count: max(Int(status.st_size), 0) + 1)
        var count = 0
        while true {
            if count == bytes.count { bytes += [UInt8](repeating: 0, count: bytes.count) }
            let n = bytes.withUnsafeMutableBytes { buffer in
                read(fd, buffer.baseAddress.map { $0 + count }, buffer.count - count)
            }
            if n == 0 { break }
            if n < 0 {
                if errno == EINTR { continue }
                return nil
            }
            count += n
        }
        bytes.removeLast(bytes.count - count)
        return bytes
    }
}
