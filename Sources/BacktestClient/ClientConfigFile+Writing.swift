import BacktestAPI
import Foundation

extension ClientConfigFile {
    /// Sets `key` to `value` (or removes it when `value` is `nil`) in the file at `path`,
    /// keeping every other member, and returns the new config. The folder is made when
    /// missing; the file is written whole (a temporary file renamed over it) with mode 0600,
    /// since it may hold an API key.
    ///
    /// - Throws: `config_invalid` when the existing file is not a JSON object,
    ///   `config_unreadable` when it cannot be read or written.
    @discardableResult
    public static func set(_ key: Key, to value: String?, path: String) throws(BacktestClientError) -> ClientConfigFile {
        var object: [String: Any] = [:]
        if FileManager.default.fileExists(atPath: path) {
            guard let data = FileManager.default.contents(atPath: path) else {
                throw BacktestClientError(code: .configUnreadable, message: "cannot read config file \(path)")
            }
            guard let existing = (try? JSONSerialization.jsonObject(with: data)) as? [String: Any] else {
                throw BacktestClientError(code: .configInvalid, message: "config file \(path) is not a JSON object; fix or remove it")
            }
            object = existing
        }
        object[key.rawValue] = value
        let data: Data
        do {
            data = try JSONSerialization.data(withJSONObject: object, options: [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes])
        } catch {
            throw BacktestClientError(code: .configInvalid, message: "cannot encode the config: \(error)")
        }
        let folder = (path as NSString).deletingLastPathComponent
        let temporary = path + ".tmp-\(ProcessInfo.processInfo.processIdentifier)"
        do {
            try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
            guard FileManager.default.createFile(atPath: temporary, contents: nil, attributes: [.posixPermissions: 0o600]) else {
                throw CocoaError(.fileWriteNoPermission)
            }
            let handle = try FileHandle(forWritingTo: URL(fileURLWithPath: temporary))
            try handle.write(contentsOf: data + Data("\n".utf8))
            try handle.close()
            guard rename(temporary, path) == 0 else { throw POSIXError(POSIXErrorCode(rawValue: errno) ?? .EIO) }
        } catch {
            try? FileManager.default.removeItem(atPath: temporary)
            throw BacktestClientError(code: .configUnreadable, message: "cannot write config file \(path): \(error.localizedDescription)")
        }
        guard let written = try load(path: path) else {
            throw BacktestClientError(code: .configUnreadable, message: "config file \(path) vanished after writing")
        }
        return written
    }

    /// `abcd…wxyz (32 characters)`: enough to tell keys apart, not enough to use one.
    public static func masked(apiKey: String) -> String {
        guard apiKey.count > 12 else { return "**** (\(apiKey.count) characters)" }
        return "\(apiKey.prefix(4))…\(apiKey.suffix(4)) (\(apiKey.count) characters)"
    }
}
