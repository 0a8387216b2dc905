import BacktestAPI
import Foundation
import NIOCore

extension BacktestClient {
    /// Uploads a ticker's bars as CSV (`PUT /v1/tickers/{T}/bars`, `text/csv`): the server
    /// validates them like `backtest data import` (a refused file imports nothing; the
    /// error's problem names the line) and replaces the ticker's imported bars atomically.
    ///
    /// Each server has its own store: with several endpoints, the upload goes to the first
    /// one, like the job API. Retried per the retry policy (a `PUT` replaces, so sending it
    /// again is safe).
    ///
    /// - Parameters:
    ///   - csv: `Date,Open,High,Low,Close[,Adj Close][,Volume]` or backtesting.py's layout.
    ///   - ticker: the symbol (letters, digits and `. _ ^ = -`, at most 32 characters).
    ///   - adjust: have the server scale Open, High and Low by Adj Close / Close.
    public func uploadBars(_ csv: some Sequence<UInt8>, ticker: String, adjust: Bool = false) async throws(BacktestClientError) -> TickerImport {
        let path = "/v1/tickers/\(try Self.tickerSegment(ticker))/bars" + (adjust ? "?adjust=true" : "")
        let body = RequestBody(bytes: ByteBuffer(bytes: csv), contentType: "text/csv")
        return try Self.decode(TickerImport.self, from: await send(.put, path, body: body, pinned: firstEndpoint()))
    }

    /// Removes an imported ticker and its bars from the first endpoint's store
    /// (`DELETE /v1/tickers/{T}`); bundled and `--data-dir` files are not touched.
    public func removeTicker(_ ticker: String) async throws(BacktestClientError) -> TickerRemoval {
        try Self.decode(
            TickerRemoval.self,
            from: await send(.delete, "/v1/tickers/\(try Self.tickerSegment(ticker))", pinned: firstEndpoint())
        )
    }

    /// `ticker` as a path segment: only the characters a symbol may have, `^` escaped
    /// (`%5EGSPC`).
    static func tickerSegment(_ ticker: String) throws(BacktestClientError) -> String {
        let allowed: Set<Character> = [".", "_", "^", "=", "-"]
        guard (1...32).contains(ticker.count), ticker.allSatisfy({ ($0.isASCII && ($0.isLetter || $0.isNumber)) || allowed.contains($0) }) else {
            throw BacktestClientError(
                code: .invalidRequest,
                message: "'\(ticker.prefix(40))' is not a ticker symbol (letters, digits, '.', '-', '_', '^', '='; at most 32)"
            )
        }
        return ticker.replacingOccurrences(of: "^", with: "%5E")
    }
}
