import BacktestEngine
import Foundation
import Testing

@testable import BacktestRules

/// Bad programs: each error has its code, its `line:column` and says what was expected.
@Suite("Compile errors")
struct ErrorTests {
    struct Case: CustomTestStringConvertible, Sendable {
        var source: String
        var code: RulesError.Code
        var line: Int
        var column: Int
        var says: String
        var testDescription: String { source.replacingOccurrences(of: "\n", with: "⏎") }
        init(_ source: String, _ code: RulesError.Code, _ line: Int, _ column: Int, _ says: String) {
            self.source = source
            self.code = code
            self.line = line
            self.column = column
            self.says = says
        }
    }

    static let syntax: [Case] = [
        Case("enter long crossover(close, open)", .syntax, 1, 12, "expected 'when' after 'enter long'"),
        Case("enter long when crossover(close, sma(close, 10)", .syntax, 1, 48, "expected ',' or ')' after the arguments of crossover"),
        Case("param fast 10", .syntax, 1, 12, "expected '=' and a default value after 'param fast'"),
        Case("param = 10", .syntax, 1, 7, "expected a name after 'param'"),
        Case("param fast = (1..2)", .syntax, 1, 14, "expected the default value of fast"),
        Case("param fast = 10 (1 200)", .syntax, 1, 20, "expected '..' between the bounds"),
        Case("param fast = 10 (1..200", .syntax, 1, 24, "expected ')' after the bounds"),
        Case("param k: double = 2", .syntax, 1, 10, "expected a parameter type (int, float or bool)"),
        Case("foo bar", .syntax, 1, 1, "expected a statement (param, let, require, enter, exit, reverse"),
        Case("\n\n  when close > open", .syntax, 3, 3, "expected a statement"),
        Case("enter sideways when close > open", .syntax, 1, 7, "expected 'long' or 'short' after 'enter'"),
        Case("enter long when close > > open", .syntax, 1, 25, "expected an expression"),
        Case("enter long when close < open < high", .syntax, 1, 30, "comparisons do not chain"),
        Case("enter long when close > open extra", .syntax, 1, 30, "expected the end of the line after the statement"),
        Case("enter long when (close > open", .syntax, 1, 30, "expected ')' to close the '(' at 1:17"),
        Case("let x = close[1\nenter long when x > 1", .syntax, 2, 1, "expected ']' after the history offset"),
        Case("let b = bbands(close, 20, 2)\nenter long when close < b.", .syntax, 2, 27, "expected a field name after '.'"),
        Case("enter long when close $ open", .syntax, 1, 23, "unexpected character '$'"),
        Case("enter long when close > open && true", .syntax, 1, 30, "expected 'and'"),
        Case("exit when close > open || true", .syntax, 1, 24, "expected 'or'"),
        Case("exit when !(close > open)", .syntax, 1, 11, "expected 'not' or '!='"),
        Case("enter long when 1.5.3 > close", .syntax, 1, 17, "expected a number, found '1.5.3'"),
        Case("enter long when 10abc > close", .syntax, 1, 17, "expected a number, found '10abc'"),
        Case("enter long when 1e > close", .syntax, 1, 17, "expected digits after the exponent"),
        Case("enter long when close > 1e999", .syntax, 1, 25, "expected a finite number"),
        Case("stop_loss 2", .syntax, 1, 12, "expected '%' after the stop_loss amount"),
        Case("take_profit 2 %%", .syntax, 1, 16, "expected the end of the line"),
        Case("size", .syntax, 1, 5, "expected a number or a parameter name after 'size'"),
        Case("let = 5", .syntax, 1, 5, "expected a name after 'let'"),
        Case("let x 5", .syntax, 1, 7, "expected '=' after the name in 'let x'"),
        Case("exit when", .syntax, 1, 10, "expected an expression"),
        Case("enter long when close > ö", .syntax, 1, 25, "only ASCII is allowed outside comments"),
        Case("enter long when sma(close,, 10) > 1", .syntax, 1, 27, "expected an expression"),
        Case("enter long when close[] > 1", .syntax, 1, 23, "expected an expression"),
        Case("enter long when close >\n open", .syntax, 1, 24, "expected an expression (a number, a series"),
        Case("require\n", .syntax, 1, 8, "expected an expression"),
        Case("enter long when true true", .syntax, 1, 22, "expected the end of the line"),
        Case("param fast = 10 (..)\nparam x = -", .syntax, 2, 12, "expected the default value of x"),
    ]

    static let semantic: [Case] = [
        Case("enter long when clsoe > open", .unknownName, 1, 17, "unknown name 'clsoe' (did you mean 'close'?)"),
        Case("enter long when smaa(close, 10) > close", .unknownName, 1, 17, "unknown function 'smaa' (did you mean 'sma'?)"),
        Case("enter long when close + open", .typeMismatch, 1, 17, "expected a condition after 'enter long when', found a number"),
        Case("enter long when close and open", .typeMismatch, 1, 17, "expected a condition on the left of 'and', found a number"),
        Case("exit when not close", .typeMismatch, 1, 15, "expected a condition after 'not'"),
        Case("exit when -(close > open)", .typeMismatch, 1, 13, "expected a number after '-'"),
        Case("enter long when (close > open) + 1 > 2", .typeMismatch, 1, 18, "expected a number on the left of '+'"),
        Case("enter long when sma(close) > 1", .invalidArgument, 1, 17, "expected 2 arguments for sma(source, period), found 1"),
        Case("enter long when change(close, 1, 2) > 1", .invalidArgument, 1, 17, "expected 1 or 2 arguments for change(source[, period])"),
        Case("enter long when sma(close, close) > 1", .invalidArgument, 1, 28, "expected a constant (a number or a parameter)"),
        Case("enter long when sma(close, 0) > 1", .invalidArgument, 1, 28, "expected a whole number >= 1"),
        Case("enter long when ema(close, 2.5) > 1", .invalidArgument, 1, 28, "expected a whole number >= 1"),
        Case("enter long when sma(5, 10) > 1", .invalidArgument, 1, 21, "expected a series (e.g. close) as the source"),
        Case("enter long when bbands(close, 20, close) > 1", .invalidArgument, 1, 35, "expected a constant number as the third argument"),
        Case("enter long when crossover(close) ", .invalidArgument, 1, 17, "expected 2 arguments for crossover(a, b), found 1"),
        Case("enter long when crossover(close, close > open)", .typeMismatch, 1, 34, "expected a number as the second argument of crossover"),
        Case(
            "let b = bbands(close, 20, 2)\nenter long when b > close",
            .typeMismatch,
            2,
            17,
            "found the bbands result (choose a field: upper, mid, lower)"
        ),
        Case("enter long when macd(close, 12, 26, 9).lines > 0", .unknownName, 1, 40, "macd has no field 'lines' (did you mean 'line'?)"),
        Case("enter long when close.upper > 0", .typeMismatch, 1, 23, "expected a macd, bbands or donchian result before '.upper'"),
        Case("enter long when sma > 1", .typeMismatch, 1, 17, "found the function 'sma' (call it: sma(source, period))"),
        Case("let close = 5", .duplicateName, 1, 5, "'close', which is a series"),
        Case("let rsi = 5", .duplicateName, 1, 5, "'rsi', which is a function"),
        Case("param long = 5", .duplicateName, 1, 7, "found the keyword 'long'"),
        Case("param a = 1\nparam a = 2", .duplicateName, 2, 7, "'a', already declared on line 1"),
        Case("param a = 1\nlet a = close", .duplicateName, 2, 5, "already declared on line 1"),
        Case("param fast = 10 (20..30)", .parameterOutOfRange, 1, 14, "expected the default of fast >= 20, found 10"),
        Case("param fast = 40 (20..30)", .parameterOutOfRange, 1, 14, "expected the default of fast <= 30, found 40"),
        Case("param fast = 25 (30..20)", .parameterOutOfRange, 1, 18, "not above its upper bound"),
        Case("param fast: int = 10.5", .parameterOutOfRange, 1, 19, "expected a whole number as the default of fast"),
        Case("param fast = 10 (1.5..20)", .parameterOutOfRange, 1, 18, "expected a whole number as the lower bound of fast"),
        Case("param f = true (0..1)", .invalidArgument, 1, 7, "expected no bounds for the true/false parameter f"),
        Case("param f: bool = 1", .typeMismatch, 1, 17, "expected true or false as the default"),
        Case("param f: int = false", .typeMismatch, 1, 16, "expected a number as the default of the int parameter f"),
        Case("param f = 1 (0..true)", .typeMismatch, 1, 17, "expected a number as the upper bound of f"),
        Case("require close > 1", .typeMismatch, 1, 9, "expected a condition on the parameters only after 'require'"),
        Case("param a = 1\nrequire a + 1", .typeMismatch, 2, 9, "found a number"),
        Case("size 0", .parameterOutOfRange, 1, 6, "expected size as a fraction in (0, 1], found 0"),
        Case("size 150%", .parameterOutOfRange, 1, 6, "expected size as a fraction in (0, 1], found 1.5 (150%)"),
        Case("stop_loss 100%", .parameterOutOfRange, 1, 11, "expected stop_loss as a fraction in (0, 1)"),
        Case("take_profit 0%", .parameterOutOfRange, 1, 13, "expected take_profit as a fraction > 0"),
        Case("param s = 2\nsize s", .parameterOutOfRange, 2, 6, "expected size as a fraction in (0, 1], found 2"),
        Case("size 1\nsize 0.5", .duplicateName, 2, 1, "expected one 'size' statement; it is already set on line 1"),
        Case("size x", .unknownName, 1, 6, "expected a number or a declared parameter after 'size', found unknown name 'x'"),
        Case("param b = true\nstop_loss b%", .typeMismatch, 2, 11, "expected a number parameter after 'stop_loss'"),
        Case("enter long when close[close] > 1", .invalidArgument, 1, 23, "expected a constant (a number or a parameter) as the history offset"),
        Case("enter long when close[-1] > 1", .invalidArgument, 1, 23, "expected a whole number >= 0 as the history offset"),
        Case("param p = 0\nenter long when sma(close, p) > 1", .parameterOutOfRange, 2, 28, "found 0 with the defaults"),
        Case(
            "param p = 2 (1..5)\nlet b = bbands(close, 20, 2)\nenter long when b[p] > 1",
            .typeMismatch,
            3,
            17,
            "expected a number or a condition before '['"
        ),
    ]

    /// Where an error is reported: at the unexpected token, or, when the input ends too early,
    /// just after the last token on the last line that has one (not on the empty line after
    /// a final line break).
    static let positions: [Case] = [
        Case(
            "param fast = 10\nenter long when crossover(sma(close, fast)\n",
            .syntax,
            2,
            43,
            "expected ',' or ')' after the arguments of crossover (opened at 2:26), found end of input"
        ),
        Case(
            "param fast = 10\nenter long when crossover(sma(close, fast)",
            .syntax,
            2,
            43,
            "expected ',' or ')' after the arguments of crossover (opened at 2:26), found end of input"
        ),
        Case(
            "param fast = 10\nenter long when crossover(sma(close, fast)\nexit when close < open\n",
            .syntax,
            3,
            1,
            "expected ',' or ')' after the arguments of crossover (opened at 2:26), found 'exit'"
        ),
        Case(
            "enter long when close > open\nexit when\n",
            .syntax,
            2,
            10,
            "expected an expression (a number, a series, a parameter, a function call or '('), found end of line"
        ),
        Case(
            "enter long when close > open\nexit when",
            .syntax,
            2,
            10,
            "expected an expression (a number, a series, a parameter, a function call or '('), found end of input"
        ),
        Case("enter long when (close > open\n# not closed\n\n", .syntax, 1, 30, "expected ')' to close the '(' at 1:17, found end of input"),
        Case("exit when close >   \n\n", .syntax, 1, 21, "expected an expression"),
    ]

    func check(_ c: Case) {
        guard let error = compileError(c.source) else {
            Issue.record("compiled: \(c.source)")
            return
        }
        #expect(error.code == c.code, "\(error)")
        #expect(error.line == c.line && error.column == c.column, "at \(error.line):\(error.column), expected \(c.line):\(c.column): \(error)")
        #expect(error.message.contains(c.says), "message: \(error.message)")
        #expect(error.description == "\(error.line):\(error.column): \(error.message)")
    }

    @Test("syntax errors", arguments: syntax)
    func syntaxError(_ c: Case) { check(c) }

    @Test("error positions", arguments: positions)
    func errorPosition(_ c: Case) { check(c) }

    @Test("semantic errors", arguments: semantic)
    func semanticError(_ c: Case) { check(c) }

    @Test func codesHaveStableWireNames() {
        #expect(
            RulesError.Code.allCases.map(\.rawValue) == [
                "syntax", "unknown_name", "type_mismatch", "invalid_argument", "duplicate_name", "limit_exceeded", "parameter_out_of_range",
                "unknown_parameter", "requirement_failed",
            ]
        )
    }

    @Test func mapsToTheEnginesErrors() throws {
        let program = try compile("param fast = 10 (1..100)\nenter long when close > sma(close, fast)")
        do {
            _ = try program.strategy(params: ["slow": .number(3)])
            Issue.record("accepted an unknown parameter")
        } catch {
            let e = error.backtestError()
            #expect(e.code == .unknownParameter && e.field == "params.slow")
        }
        do {
            _ = try program.strategy(params: ["fast": .number(300)])
            Issue.record("accepted 300")
        } catch {
            let e = error.backtestError()
            #expect(e.code == .invalidParameter && e.field == "params.fast")
        }
        do {
            _ = try program.strategy(brackets: Brackets(slPct: 2))
            Issue.record("accepted sl_pct 2")
        } catch {
            let e = error.backtestError()
            #expect(e.code == .invalidField && e.field == "sl_pct")
        }
        let syntax = try #require(compileError("enter long when"))
        let e = syntax.backtestError()
        #expect(e.code == .invalidField && e.field == "rules" && e.message.hasPrefix("rules: 1:16: expected an expression"))
    }
}
