import BacktestAPI
import BacktestEngine
import Foundation
import MarketData
import NIOHTTP1
import Testing

@testable import BacktestServer

/// Uploads and removals through a live server, with and without API keys.
@Suite("Data routes", .serialized)
struct DataRouteTests {
    /// `count` weekdays of bars from 2021-01-04; closes follow `close(i)`.
    static func csv(count: Int, close: (Int) -> Double) -> Data {
        var text = "Date,Open,High,Low,Close,Volume\n"
        var day = Timestamp.days(year: 2021, month: 1, day: 4)
        var written = 0
        while written < count {
            if Timestamp.weekday(day * 86_400) < 5 {
                let c = close(written)
                text += "\(Timestamp.formatDate(day * 86_400)),\(c),\(c * 1.02),\(c * 0.98),\(c),1000\n"
                written += 1
            }
            day += 1
        }
        return Data(text.utf8)
    }

    static let wave = csv(count: 300) { 100 + 20 * sin(Double($0) / 9) }
    static let other = csv(count: 300) { 100 + 20 * cos(Double($0) / 5) }
    static let csvHeaders = [("Content-Type", "text/csv")]
    static let request = #"{"ticker":"WAVE","strategy":"sma_cross","params":{"fast":5,"slow":20}}"#

    @Test("upload needs a key when the server has keys; the uploaded ticker is listed and backtested")
    func uploadWithKey() async throws {
        let server = try await TestServer.start { $0.apiKeys = ["secret"] }
        let anonymous = try await server.send(.PUT, "/v1/tickers/WAVE/bars", body: Self.wave, headers: Self.csvHeaders)
        #expect(anonymous.status == 401)
        let wrong = try await server.send(
            .PUT,
            "/v1/tickers/WAVE/bars",
            body: Self.wave,
            headers: Self.csvHeaders + [("Authorization", "Bearer nope")]
        )
        #expect(wrong.status == 401)
        let auth = Self.csvHeaders + [("Authorization", "Bearer secret")]
        let created = try await server.send(.PUT, "/v1/tickers/wave/bars", body: Self.wave, headers: auth)
        #expect(created.status == 201, "\(created.text)")
        let body = try created.decode(TickerImport.self)
        #expect(body.ticker == "WAVE")
        #expect(body.bars == 300)
        #expect(body.first == "2021-01-04")
        #expect(body.source == "upload")
        #expect(body.replaced == 0)

        let list = try await server.send(.GET, "/v1/tickers", headers: [("Authorization", "Bearer secret")])
        let wave = try #require(try list.decode(TickerList.self).tickers.first { $0.ticker == "WAVE" })
        #expect(wave.source == "database")
        #expect(wave.bars == 300)

        let run = try await server.send(.POST, "/v1/backtests", json: Self.request, headers: [("Authorization", "Bearer secret")])
        #expect(run.status == 200, "\(run.text)")
        #expect(try run.decode(BacktestReply.self).stats.trades > 0)

        let deleteAnonymous = try await server.send(.DELETE, "/v1/tickers/WAVE")
        #expect(deleteAnonymous.status == 401)
        try await server.stop()
    }

    @Test("upload without keys on a keyless server; re-upload replaces and invalidates cached results; delete")
    func replaceAndDelete() async throws {
        let server = try await TestServer.start()
        // adjust is true or false, nothing else (found by the fuzzer: anything was taken as false).
        for query in ["adjust=maybe", "adjust=null&adjust=null", "adjust=true&adjust=false", "adjust=-1"] {
            let refused = try await server.send(.PUT, "/v1/tickers/WAVE/bars?\(query)", body: Self.wave, headers: Self.csvHeaders)
            #expect(refused.status == 422, "\(query)")
            #expect(try refused.decode(Problem.self).field == "adjust")
        }
        let first = try await server.send(.PUT, "/v1/tickers/WAVE/bars?adjust=false", body: Self.wave, headers: Self.csvHeaders)
        #expect(first.status == 201)
        let runA = try await server.send(.POST, "/v1/backtests", json: Self.request).decode(BacktestReply.self)
        let cachedA = try await server.send(.POST, "/v1/backtests", json: Self.request).decode(BacktestReply.self)
        #expect(cachedA.cached)

        let second = try await server.send(.PUT, "/v1/tickers/WAVE/bars", body: Self.other, headers: Self.csvHeaders)
        #expect(second.status == 200)
        let replaced = try second.decode(TickerImport.self)
        #expect(replaced.replaced == 300)
        #expect(replaced.contentHash != (try first.decode(TickerImport.self)).contentHash)
        let runB = try await server.send(.POST, "/v1/backtests", json: Self.request).decode(BacktestReply.self)
        #expect(!runB.cached)
        #expect(runB.stats.equityFinal != runA.stats.equityFinal)

        let removed = try await server.send(.DELETE, "/v1/tickers/wave")
        #expect(removed.status == 200)
        #expect(try removed.decode(TickerRemoval.self) == TickerRemoval(ticker: "WAVE", bars: 300))
        let gone = try await server.send(.POST, "/v1/backtests", json: Self.request)
        #expect(gone.status == 404)
        let again = try await server.send(.DELETE, "/v1/tickers/WAVE")
        #expect(again.status == 404)
        // Bundled tickers are not removable.
        let bundled = try await server.send(.DELETE, "/v1/tickers/AAPL")
        #expect(bundled.status == 404)
        #expect(try await server.send(.GET, "/v1/tickers").decode(TickerList.self).tickers.count == 7)
        try await server.stop()
    }

    @Test("an imported ticker shadows the bundled one of the same name")
    func shadowsBundled() async throws {
        let server = try await TestServer.start()
        let upload = try await server.send(.PUT, "/v1/tickers/AAPL/bars", body: Self.wave, headers: [])
        #expect(upload.status == 201)
        let reply = try await server.send(.POST, "/v1/backtests", json: #"{"ticker":"AAPL","strategy":"sma_cross","params":{"fast":5,"slow":20}}"#)
        #expect(try reply.decode(BacktestReply.self).start == "2021-01-04T00:00:00")
        try await server.stop()
    }

    @Test("a symbol sent percent-encoded (^GSPC as %5EGSPC) is decoded")
    func percentEncodedSymbol() async throws {
        let server = try await TestServer.start()
        let upload = try await server.send(.PUT, "/v1/tickers/%5EGSPC/bars", body: Self.wave, headers: Self.csvHeaders)
        #expect(upload.status == 201, "\(upload.text)")
        #expect(try upload.decode(TickerImport.self).ticker == "^GSPC")
        let removed = try await server.send(.DELETE, "/v1/tickers/%5Egspc")
        #expect(try removed.decode(TickerRemoval.self) == TickerRemoval(ticker: "^GSPC", bars: 300))
        try await server.stop()
    }

    @Test("refused uploads: bad rows name their line, wrong type, too large, bad ticker; nothing imported")
    func refused() async throws {
        let server = try await TestServer.start { $0.maxUploadBytes = 4_096 }
        let bad = Data("Date,Open,High,Low,Close\n2021-01-04,1,2,0.5,1.5\n2021-01-05,1,2,0.5,oops\n".utf8)
        let rows = try await server.send(.PUT, "/v1/tickers/BAD/bars", body: bad, headers: Self.csvHeaders)
        #expect(rows.status == 422)
        let problem = try rows.decode(Problem.self)
        #expect(problem.code == .invalidNumber)
        #expect(problem.detail.contains("upload:3: column Close"))

        let json = try await server.send(.PUT, "/v1/tickers/BAD/bars", json: #"{"bars":[]}"#)
        #expect(json.status == 415)
        let large = try await server.send(.PUT, "/v1/tickers/BAD/bars", body: Self.wave, headers: Self.csvHeaders)
        #expect(large.status == 413)
        let ticker = try await server.send(.PUT, "/v1/tickers/..%2Fetc/bars", body: bad, headers: Self.csvHeaders)
        #expect(ticker.status == 422 || ticker.status == 404)
        let empty = try await server.send(.PUT, "/v1/tickers/BAD/bars", body: Data(), headers: Self.csvHeaders)
        #expect(empty.status == 422)

        let list = try await server.send(.GET, "/v1/tickers").decode(TickerList.self)
        #expect(!list.tickers.contains { $0.ticker == "BAD" })
        try await server.stop()
    }

    @Test("bars imported by the CLI's store into the server's database are served")
    func sharedDatabase() async throws {
        let path = TestServer.temporaryDatabase()
        let importer = BarImporter(store: try SQLiteBarStore(path: path))
        try importer.importCSV(Self.wave, ticker: "WAVE", source: "file WAVE.csv")
        let server = try await TestServer.start { $0.databasePath = path }
        let reply = try await server.send(.POST, "/v1/backtests", json: Self.request)
        #expect(reply.status == 200)
        // Imported while the server runs: served on the next request.
        try importer.importCSV(Self.other, ticker: "LATE", source: "file LATE.csv")
        let late = try await server.send(.POST, "/v1/backtests", json: #"{"ticker":"LATE","strategy":"sma_cross","params":{"fast":5,"slow":20}}"#)
        #expect(late.status == 200, "\(late.text)")
        try await server.stop()
    }
}
