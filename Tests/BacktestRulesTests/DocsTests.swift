import BacktestEngine
import Foundation
import Testing

@testable import BacktestRules

/// The programs in docs/rules.md compile, run, and the examples there are the files'.
@Suite("Documentation")
struct DocsTests {
    static func blocks() throws -> [String] {
        let text = try String(contentsOf: Paths.root.appendingPathComponent("docs/rules.md"), encoding: .utf8)
        var blocks: [String] = []
        var inBlock = false
        var plain = false
        var body: [Substring] = []
        for line in text.split(separator: "\n", omittingEmptySubsequences: false) {
            if line.hasPrefix("```") {
                if inBlock && plain { blocks.append(body.joined(separator: "\n")) }
                plain = !inBlock && line == "```"
                inBlock.toggle()
                body = []
            } else if inBlock {
                body.append(line)
            }
        }
        return blocks.filter { $0.contains(" when ") }
    }

    @Test func programsCompileAndRun() throws {
        let blocks = try Self.blocks()
        #expect(blocks.count >= 7)
        let examples = try Paths.exampleNames.map { try RulesProgram.compile(try Paths.example($0)).canonicalSource }
        var matched = 0
        for block in blocks {
            let program = try compile(block)
            _ = try Backtest(bars: TestData.goog).run(try program.strategy())
            if examples.contains(program.canonicalSource) { matched += 1 }
        }
        #expect(matched >= 6, "every example file is shown")
    }
}
