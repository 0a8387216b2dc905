import Foundation
import Testing

@testable import MarketData

/// `FileBytes` reads what `Data(contentsOf:)` reads, and declines (so that Foundation reports)
/// what it cannot read.
@Suite("File bytes")
struct FileBytesTests {
    /// This test's own folder (each test runs on its own instance, in parallel with the others).
    let folder = FileManager.default.temporaryDirectory.appendingPathComponent("file-bytes-\(UUID().uuidString)").path

    func writeFile(_ bytes: [UInt8], _ name: String) throws -> String {
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        let path = folder + "/" + name
        try Data(bytes).write(to: URL(fileURLWithPath: path))
        return path
    }

    @Test("Files of 0 to 70,000 bytes read as Data(contentsOf:) reads them")
    func readsWhatFoundationReads() throws {
        defer { try? FileManager.default.removeItem(atPath: folder) }
        for size in [0, 1, 4_095, 4_096, 4_097, 70_000] {
            let bytes = (0..<size).map { UInt8(truncatingIfNeeded: $0 &* 31 &+ 7) }
            let path = try writeFile(bytes, "f\(size)")
            #expect(FileBytes.contents(ofPath: path) == bytes, "\(size)")
            #expect(FileBytes.contents(ofPath: path).map { Data($0) } == (try Data(contentsOf: URL(fileURLWithPath: path))))
        }
    }

    @Test("A pipe is read to its end from one descriptor")
    func readsAPipe() throws {
        defer { try? FileManager.default.removeItem(atPath: folder) }
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        let path = folder + "/pipe"
        #expect(mkfifo(path, 0o600) == 0)
        let bytes = (0..<100_000).map { UInt8(truncatingIfNeeded: $0) }
        let writer = Thread {
            let fd = open(path, O_WRONLY)
            guard fd >= 0 else { return }
            _ = bytes.withUnsafeBytes { write(fd, $0.baseAddress, $0.count) }
            close(fd)
        }
        writer.start()
        #expect(FileBytes.contents(ofPath: path) == bytes)
    }

    @Test("A missing path or a folder gives nil, and the parser's error keeps Foundation's words")
    func declinesWhatItCannotRead() throws {
        defer { try? FileManager.default.removeItem(atPath: folder) }
        _ = try writeFile([1], "x")
        #expect(FileBytes.contents(ofPath: folder + "/missing.csv") == nil)
        #expect(FileBytes.contents(ofPath: folder) == nil)
        #expect(FileBytes.contents(ofPath: "") == nil)
        do {
            _ = try CSVBarsParser.load(path: folder + "/missing.csv")
            Issue.record("a missing file was read")
        } catch {
            #expect(error.code == .unreadable)
            #expect(error.message.hasPrefix("cannot read file: "))
        }
    }
}
