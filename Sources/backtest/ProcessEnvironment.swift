#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#else
import Foundation
#endif

/// The process's environment variables, read from the C `environ` list.
///
/// `ProcessInfo.processInfo.environment` builds the same dictionary in Foundation and the
/// standard library, whose code looks `[String: String]`'s storage up by its mangled name: on
/// first use that scans all of the binary's protocol conformance records (12 % of the
/// instructions of a `backtest health`: BENCHMARKS.md, "Seventh round"). Built here at its
/// final size, the metadata comes from a direct accessor and nothing is scanned.
///
/// ```swift
/// let home = ProcessEnvironment.variables()["HOME"]
/// ```
enum ProcessEnvironment {
    /// The process's variables (see ``variables(from:)``).
    static func variables() -> [String: String] {
        #if canImport(Glibc) || canImport(Musl)
        // `environ` is null after `clearenv()`; the optional's layout makes that `nil`.
        let list: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>? = environ
        return variables(from: list)
        #else
        return ProcessInfo.processInfo.environment
        #endif
    }

    /// The `NAME=value` entries of a null-terminated list like `environ`; a name listed twice
    /// keeps its first value, the one `getenv` returns. An entry without `=` is skipped; bytes
    /// that are not UTF-8 are repaired (U+FFFD). A null list has no variables.
    static func variables(from list: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?) -> [String: String] {
        guard let list else { return [:] }
        var count = 0
        while list[count] != nil { count += 1 }
        // Made at its final size: growing it would go through the standard library's own
        // `[String: String]` code, which looks the type up by name (the scan again).
        var variables = [String: String](minimumCapacity: count)
        for index in 0..<count {
            guard let pointer = list[index] else { break }
            let text = String(cString: pointer)
            guard let equals = text.utf8.firstIndex(of: UInt8(ascii: "=")) else { continue }
            let name = String(text[..<equals])
            if variables[name] == nil { variables[name] = String(text[text.utf8.index(after: equals)...]) }
        }
        return variables
    }
}
