import Foundation
import Testing

/// The CLI's `--help` pages and error messages, byte for byte, against the golden files in
/// `Golden/` (written by `Golden/generate.py` from the binary before the start-up fast path):
/// whichever way a command line is parsed, what a person reads stays the same.
@Suite("backtest CLI golden output")
struct CLIGoldenTests {
    static let golden = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("Golden")

    /// One bad (or help) invocation and everything it printed.
    struct Case: Decodable, CustomTestStringConvertible, Sendable {
        var args: [String]
        var status: Int32
        var stdout: String
        var stderr: String

        var testDescription: String { "backtest " + args.joined(separator: " ") }
    }

    struct Cases: Decodable {
        var cases: [Case]
    }

    static func cases() throws -> [Case] {
        try JSONDecoder().decode(Cases.self, from: Data(contentsOf: golden.appendingPathComponent("errors.json"))).cases
    }

    /// The command paths with a golden help page (`jobs-submit.txt` is `jobs submit`).
    static func helpPages() throws -> [String] {
        try FileManager.default.contentsOfDirectory(atPath: golden.appendingPathComponent("help").path)
            .filter { $0.hasSuffix(".txt") }.map { String($0.dropLast(4)) }.sorted()
    }

    /// The generator's environment: no config file, no server settings, 80 columns.
    static func run(_ args: [String]) throws -> CLI.Output {
        let environment = [
            "PATH": ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin", "HOME": "/nonexistent-backtest-golden-home", "COLUMNS": "80",
        ]
        return try CLI.run(args, environment: environment, inheritsEnvironment: false)
    }

    @Test func everyCommandHasAGoldenHelpPage() throws {
        let pages = try Self.helpPages()
        #expect(pages.count == 37, "\(pages)")
        #expect(pages.contains("backtest") && pages.contains("batch") && pages.contains("run") && pages.contains("health"))
    }

    @Test(arguments: try helpPages())
    func helpIsUnchanged(_ page: String) throws {
        let path = page == "backtest" ? [] : page.split(separator: "-").map(String.init)
        let expected = try String(contentsOf: Self.golden.appendingPathComponent("help/\(page).txt"), encoding: .utf8)
        let r = try Self.run(path + ["--help"])
        #expect(r.status == 0)
        #expect(r.stderr.isEmpty)
        #expect(r.stdout == expected)
    }

    /// The text with the figures that vary from run to run (a batch's progress rate, ETA and
    /// elapsed seconds) as `#`.
    static func steady(_ text: String) -> String {
        text.replacing(#/[0-9]+\.[0-9]+\/s/#, with: "#/s").replacing(#/ETA [0-9.]+s/#, with: "ETA #s")
            .replacing(#/[0-9]+\.[0-9]+ s on /#, with: "# s on ")
    }

    @Test func steadyHidesOnlyRatesAndElapsedSeconds() {
        #expect(Self.steady("progress: 100%  1/1  171.5/s  ETA 0.1s") == "progress: 100%  1/1  #/s  ETA #s")
        #expect(Self.steady("0.01 s on http://127.0.0.1:1, 0 connections") == "# s on http://127.0.0.1:1, 0 connections")
        #expect(Self.steady("return 12.5 %, 0.5 s") == "return 12.5 %, 0.5 s")
    }

    @Test(arguments: try cases())
    func outputIsUnchanged(_ expected: Case) throws {
        let r = try Self.run(expected.args)
        #expect(r.status == expected.status)
        #expect(Self.steady(r.stdout) == Self.steady(expected.stdout))
        #expect(Self.steady(r.stderr) == Self.steady(expected.stderr))
    }
}
