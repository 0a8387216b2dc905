import BacktestEngine
import Foundation
import Testing

@testable import BacktestRules

/// Random token soups and mutated examples never crash or hang the compiler, every error
/// has a position, and every program that compiles also runs.
///
/// `RULES_FUZZ_CASES=200000 RULES_FUZZ_SEED=42 swift test --filter FuzzTests` runs a longer
/// fuzz (default: 3,000 cases of each kind, seed 20240601).
@Suite("Fuzz")
struct FuzzTests {
    static var cases: Int { ProcessInfo.processInfo.environment["RULES_FUZZ_CASES"].flatMap(Int.init) ?? 3_000 }
    static var seed: UInt64 { ProcessInfo.processInfo.environment["RULES_FUZZ_SEED"].flatMap(UInt64.init) ?? 20_240_601 }

    static let vocabulary: [String] = [
        "param", "let", "require", "enter", "exit", "reverse", "when", "long", "short", "size", "stop_loss", "take_profit",
        "and", "or", "not", "true", "false", "int", "float", "bool", ":", "open", "high", "low", "close", "volume", "sma", "ema",
        "wma", "rsi", "atr", "stdev", "highest", "lowest", "roc", "change", "macd", "bbands", "donchian", "crossover",
        "crossunder", ".line", ".signal", ".hist", ".upper", ".mid", ".lower", "fast", "slow", "x", "b", "m", "(", ")", "[",
        "]", ",", ".", "..", "=", "==", "!=", "<", "<=", ">", ">=", "+", "-", "*", "/", "%", "0", "1", "2", "10", "30", "2.5",
        "1e3", "0.004", "100000", "999999999", "1e308", "#", "\n", "\n", "\n", "!", "&", "|", "$", "é", "\t", "\u{0}", "_",
        "1e", "1.", "..5",
    ]

    static let bars: Bars = {
        let g = TestData.goog
        let n = 400
        return try! Bars(
            timestamps: Array(g.timestamps.prefix(n)),
            open: Array(g.open.prefix(n)),
            high: Array(g.high.prefix(n)),
            low: Array(g.low.prefix(n)),
            close: Array(g.close.prefix(n)),
            volume: Array(g.volume.prefix(n))
        )
    }()

    struct Tally {
        var compiled = 0
        var failed = 0
        var ran = 0
    }

    /// Compiles `source`; checks the error or the program.
    static func exercise(_ source: String, _ tally: inout Tally, sourceLocation: SourceLocation = #_sourceLocation) {
        do {
            let program = try RulesProgram.compile(source, limits: RulesLimits(maxLookback: 2_000))
            tally.compiled += 1
            let again = try RulesProgram.compile(program.canonicalSource, limits: RulesLimits(maxLookback: 2_000))
            #expect(
                again.canonicalSource == program.canonicalSource,
                "canonical round trip of \(source.debugDescription)",
                sourceLocation: sourceLocation
            )
            let strategy = try program.strategy()
            do {
                _ = try Backtest(bars: bars, settings: BacktestSettings(hedging: tally.ran % 2 == 0)).run(strategy)
                tally.ran += 1
            } catch {
                // An order the broker refuses is a run error, not a crash.
            }
        } catch {
            tally.failed += 1
            let lines = source.split(separator: "\n", omittingEmptySubsequences: false).count
            let ok = error.line >= 1 && error.column >= 1 && error.line <= lines + 1 && !error.message.isEmpty
            #expect(ok, "\(error) for \(source.debugDescription)", sourceLocation: sourceLocation)
            #expect(error.description.hasPrefix("\(error.line):\(error.column): "), sourceLocation: sourceLocation)
        }
    }

    @Test func tokenSoups() async {
        var rng = SplitMix64(seed: Self.seed)
        var tally = Tally()
        let start = ContinuousClock.now
        for k in 0..<Self.cases {
            // CPU-bound: let the other suites' tasks run on the cooperative pool now and then.
            if k % 50 == 0 { await Task.yield() }
            let count = Int.random(in: 1...40, using: &rng)
            var source = ""
            for _ in 0..<count {
                source += Self.vocabulary.randomElement(using: &rng) ?? ""
                source += ["", " ", " ", " ", "\n"].randomElement(using: &rng) ?? ""
            }
            Self.exercise(source, &tally)
        }
        let elapsed = ContinuousClock.now - start
        print("fuzz token soups: \(Self.cases) cases, \(tally.compiled) compiled, \(tally.ran) ran, \(tally.failed) errors, \(elapsed)")
        #expect(tally.failed > 0 && tally.compiled + tally.failed == Self.cases)
    }

    @Test func mutatedExamples() async throws {
        var rng = SplitMix64(seed: Self.seed ^ 0x5EED)
        let examples = try Paths.exampleNames.map { Array(try Paths.example($0).utf8) }
        var tally = Tally()
        let start = ContinuousClock.now
        for k in 0..<Self.cases {
            if k % 50 == 0 { await Task.yield() }
            var bytes = examples.randomElement(using: &rng) ?? []
            for _ in 0..<Int.random(in: 1...4, using: &rng) {
                Self.mutate(&bytes, &rng)
            }
            Self.exercise(String(decoding: bytes, as: UTF8.self), &tally)
        }
        let elapsed = ContinuousClock.now - start
        print("fuzz mutations: \(Self.cases) cases, \(tally.compiled) compiled, \(tally.ran) ran, \(tally.failed) errors, \(elapsed)")
        #expect(tally.compiled > 0 && tally.failed > 0)
    }

    /// Random programs from the grammar (most compile): every statement, function and
    /// operator, run on real data.
    @Test func grammarPrograms() async {
        var rng = SplitMix64(seed: Self.seed ^ 0x6A4D)
        var tally = Tally()
        let start = ContinuousClock.now
        for k in 0..<Self.cases {
            if k % 50 == 0 { await Task.yield() }
            var g = ProgramGenerator(rng: rng)
            let source = g.program()
            rng = g.rng
            Self.exercise(source, &tally)
        }
        let elapsed = ContinuousClock.now - start
        print("fuzz grammar programs: \(Self.cases) cases, \(tally.compiled) compiled, \(tally.ran) ran, \(tally.failed) errors, \(elapsed)")
        #expect(tally.compiled > Self.cases / 2)
    }

    /// One random edit: delete, insert (a byte or a token), replace, duplicate or swap lines, truncate.
    static func mutate(_ bytes: inout [UInt8], _ rng: inout SplitMix64) {
        guard !bytes.isEmpty else {
            bytes = Array((vocabulary.randomElement(using: &rng) ?? "x").utf8)
            return
        }
        let at = Int.random(in: 0..<bytes.count, using: &rng)
        switch Int.random(in: 0..<7, using: &rng) {
        case 0:
            bytes.removeSubrange(at..<min(bytes.count, at + Int.random(in: 1...8, using: &rng)))
        case 1:
            bytes.insert(UInt8.random(in: 0...255, using: &rng), at: at)
        case 2:
            bytes.insert(contentsOf: Array((" " + (vocabulary.randomElement(using: &rng) ?? "") + " ").utf8), at: at)
        case 3:
            bytes[at] = UInt8.random(in: 32...126, using: &rng)
        case 4:
            var lines = bytes.split(separator: UInt8(ascii: "\n"), omittingEmptySubsequences: false)
            let k = Int.random(in: 0..<lines.count, using: &rng)
            lines.insert(lines[k], at: Int.random(in: 0...lines.count, using: &rng))
            bytes = Array(lines.joined(separator: [UInt8(ascii: "\n")]))
        case 5:
            var lines = bytes.split(separator: UInt8(ascii: "\n"), omittingEmptySubsequences: false)
            lines.swapAt(Int.random(in: 0..<lines.count, using: &rng), Int.random(in: 0..<lines.count, using: &rng))
            bytes = Array(lines.joined(separator: [UInt8(ascii: "\n")]))
        default:
            bytes.removeSubrange(at...)
        }
    }

    /// Programs that compile with every kind of statement and function run on tiny and
    /// constant data without trapping (division by zero, NaN, windows longer than the data).
    @Test func edgeData() throws {
        let source = """
            param n = 3 (1..50)
            size 30%
            stop_loss 1%
            take_profit 2%
            let m = macd(close, n, n + 2, n)
            let b = bbands(close / 0, n, -1)
            let d = donchian(n)
            let w = wma(close, n) + stdev(close, n) + highest(high, n) - lowest(low, n) + roc(close, n) + change(close) + atr(n)
            enter long when crossover(m.line, m.signal) or w > b.upper or close > d.upper
            enter short when crossunder(m.hist, 0) and ema(rsi(close, n), n)[2] > 50
            reverse when close / (close - close) > 1
            exit long when close < d.lower
            exit short when not (volume > 0)
            exit when sma(close, 40) > sma(close, 50)
            """
        let program = try compile(source)
        for count in [2, 3, 5, 60] {
            let flat = try Bars(
                timestamps: (0..<count).map { Int64($0) * 86_400 },
                open: .init(repeating: 5, count: count),
                high: .init(repeating: 5, count: count),
                low: .init(repeating: 5, count: count),
                close: .init(repeating: 5, count: count)
            )
            _ = try Backtest(bars: flat).run(try program.strategy())
        }
        for n in [1, 2, 50] {
            _ = try Backtest(bars: Self.bars).run(try program.strategy(params: ["n": .number(Double(n))]))
        }
    }
}

/// Writes random programs that follow the grammar and mostly type-check.
struct ProgramGenerator {
    var rng: SplitMix64
    var lets: [String] = []

    mutating func pick<T>(_ xs: [T]) -> T { xs[Int.random(in: 0..<xs.count, using: &rng)] }
    mutating func chance(_ p: Double) -> Bool { Double.random(in: 0..<1, using: &rng) < p }

    mutating func program() -> String {
        var lines = ["param p = \(Int.random(in: 1...30, using: &rng)) (1..60)", "param flag = \(chance(0.5))", "param level = 50.0 (0..100)"]
        if chance(0.3) { lines.append("size \(pick(["0.5", "25%", "1", "p%"]))") }
        if chance(0.3) { lines.append("stop_loss \(pick(["2%", "0.5%", "level%"]))") }
        if chance(0.3) { lines.append("take_profit \(pick(["3%", "p%"]))") }
        if chance(0.2) { lines.append("require p > 0 and \(pick(["flag or true", "level >= 0", "not flag or p < 100"]))") }
        for k in 0..<Int.random(in: 0...3, using: &rng) {
            let name = "v\(k)"
            lines.append("let \(name) = \(number(2))")
            lets.append(name)
        }
        for _ in 0..<Int.random(in: 1...6, using: &rng) {
            let action = pick(["enter long", "enter short", "exit long", "exit short", "exit", "reverse"])
            lines.append("\(action) when \(condition(3))")
        }
        return lines.joined(separator: "\n")
    }

    mutating func period() -> String {
        pick(["1", "2", "5", "14", "p", "p + 1", "p * 2", "60"])
    }

    mutating func series(_ depth: Int) -> String {
        if depth <= 0 || chance(0.4) {
            return pick(["open", "high", "low", "close", "volume"] + lets)
        }
        return number(depth)
    }

    mutating func number(_ depth: Int) -> String {
        if depth <= 0 || chance(0.25) {
            return pick(["close", "open", "high", "low", "volume", "1", "0", "2.5", "level", "p"] + lets)
        }
        let d = depth - 1
        switch Int.random(in: 0..<10, using: &rng) {
        case 0: return "\(pick(["sma", "ema", "wma", "rsi", "stdev", "highest", "lowest", "roc", "change"]))(\(series(d)), \(period()))"
        case 1: return "atr(\(period()))"
        case 2: return "macd(\(series(d)), \(period()), \(period()), \(period())).\(pick(["line", "signal", "hist"]))"
        case 3: return "bbands(\(series(d)), \(period()), \(pick(["2", "0.5", "level / 10"]))).\(pick(["upper", "mid", "lower"]))"
        case 4: return "donchian(\(period())).\(pick(["upper", "lower"]))"
        case 5: return "\(number(d))[\(pick(["0", "1", "2", "p"]))]"
        case 6: return "-\(number(d))"
        case 7: return "(\(number(d)) \(pick(["+", "-", "*", "/"])) \(number(d)))"
        default: return "\(number(d)) \(pick(["+", "-", "*", "/"])) \(number(d))"
        }
    }

    mutating func condition(_ depth: Int) -> String {
        if depth <= 0 || chance(0.2) {
            return pick(["true", "false", "flag", "close > open", "\(number(1)) < \(number(1))"])
        }
        let d = depth - 1
        switch Int.random(in: 0..<7, using: &rng) {
        case 0: return "\(pick(["crossover", "crossunder"]))(\(number(d)), \(number(d)))"
        case 1: return "not \(condition(d))"
        case 2: return "(\(condition(d)) \(pick(["and", "or"])) \(condition(d)))"
        case 3: return "\(condition(d)) \(pick(["and", "or"])) \(condition(d))"
        case 4: return "(\(condition(d)))[\(pick(["1", "p"]))]"
        default: return "\(number(d)) \(pick(["<", "<=", ">", ">=", "==", "!="])) \(number(d))"
        }
    }
}
