import BacktestAPI
import BacktestJSON
import Foundation

/// Portfolio backtests as a job (`POST /v1/jobs` with `portfolios`): one item per portfolio,
/// each stored as `{"index": n, "result": <the reply of POST /v1/portfolios>}` or
/// `{"index": n, "error": <problem>}`, so many portfolios spread over the workers and the nodes
/// of a cluster. An entry that did not decode fails as its item at once.
struct PortfolioJob: JobWork {
    /// Each entry's request; nil for one that did not decode (its item failed at creation).
    var requests: [PortfolioRequest?]
    /// Runs each portfolio (bars, worker, reply cache).
    let service: PortfolioService

    var kind: JobKind { .portfolios }
    var itemCount: Int { requests.count }
    func weight(of index: Int) -> Int { 1 }

    func run(item index: Int, requestID: String) async -> JobItemOutcome? {
        guard let request = requests[index] else {
            // Stored at creation; only a damaged row gets here.
            let problem = Problem(code: .invalidField, detail: "the request could not be read back", field: PortfolioJobBody.key)
            return JobItemOutcome(index: index, bytes: Self.item(index: index, error: problem))
        }
        do {
            // The queue worker bounds how many items run at once: admitted, not refused.
            let reply = try await service.run(request, admission: .always)
            return JobItemOutcome(index: index, bytes: Self.item(index: index, reply: reply))
        } catch {
            // A run that failed because its task was cancelled (shutdown) is not its result.
            if Task.isCancelled { return nil }
            return JobItemOutcome(index: index, bytes: Self.item(index: index, error: Problem(error, requestID: requestID)))
        }
    }

    func encoded() throws -> [UInt8] {
        Array(try JSONCoding.encoder.encode(requests))
    }

    /// The job stored by ``encoded()``.
    static func decode(_ bytes: [UInt8], service: PortfolioService) throws -> PortfolioJob {
        PortfolioJob(requests: try JSONCoding.decoder.decode([PortfolioRequest?].self, from: Data(bytes)), service: service)
    }

    /// A successful item: the reply's bytes as they are, under `result`.
    static func item(index: Int, reply: [UInt8]) -> [UInt8] {
        var writer = JSONWriter()
        writer.object { w in
            w.key("index")
            w.integer(index)
            w.key("result")
            w.encoded(reply)
        }
        return writer.bytes
    }

    /// A failed item.
    static func item(index: Int, error: Problem) -> [UInt8] {
        var writer = JSONWriter()
        writer.object { w in
            w.key("index")
            w.integer(index)
            w.key("error")
            error.write(to: &w)
        }
        return writer.bytes
    }

    /// Whether a stored item is a success (its `result` present), read back for a report.
    static func succeeded(_ bytes: [UInt8]) -> Bool {
        guard case .object(let members)? = try? JSONReader.parse(bytes), case .object? = members["result"] else { return false }
        return true
    }

    /// A stored item's error detail, if it failed.
    static func errorDetail(_ bytes: [UInt8]) -> String? {
        guard case .object(let members)? = try? JSONReader.parse(bytes), case .object(let error)? = members["error"],
            case .string(let detail)? = error["detail"]
        else { return nil }
        return detail
    }
}
