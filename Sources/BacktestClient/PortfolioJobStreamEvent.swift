import BacktestAPI
import BacktestJSON
import Foundation

/// A typed event of a portfolio job's stream (`GET /v1/jobs/{id}/events`): one `item` per
/// finished portfolio, then `done` with the final status (without results).
public enum PortfolioJobStreamEvent: Sendable {
    /// A portfolio finished; `progress` counts it.
    case item(progress: JobProgress, item: PortfolioJobItem)
    /// The job ended (done, failed or cancelled).
    case done(JobStatus)
    /// An event this client does not know.
    case other(ServerSentEvent)

    /// Decodes a server-sent event; throws `invalid_reply` when a known event's data is malformed.
    public init(_ event: ServerSentEvent) throws(BacktestClientError) {
        do {
            switch event.event {
            case "item":
                guard case .object(let payload) = try JSONReader.parse(Array(event.data.utf8)),
                    case .object(let progress)? = payload["progress"], case .number(let done)? = progress["done"],
                    case .number(let total)? = progress["total"], let doneCount = Int(exactly: done), let totalCount = Int(exactly: total),
                    let item = payload["item"]
                else { throw JSONReadError(message: "expected {progress: {done, total}, item}") }
                self = .item(progress: JobProgress(done: doneCount, total: totalCount), item: try PortfolioJobItem(json: item, path: "item"))
            case "done":
                self = .done(try JSONDecoder().decode(JobStatus.self, from: Data(event.data.utf8)))
            default:
                self = .other(event)
            }
        } catch {
            throw BacktestClientError(code: .invalidReply, message: "malformed '\(event.event)' event: \(error)")
        }
    }
}

extension BacktestClient {
    /// A portfolio job's typed events, until the `done` event or the end of the stream; each
    /// portfolio is delivered once (one the server repeats while it is being stored is dropped).
    /// Not retried: a broken stream ends with an error, and ``portfolioJobStatus(_:)`` tells
    /// where the job stands.
    public func portfolioJobStreamEvents(_ id: String) -> AsyncThrowingStream<PortfolioJobStreamEvent, any Error> {
        typedJobEvents(id, as: PortfolioJobStreamEvent.self)
    }
}

extension PortfolioJobStreamEvent: TypedJobEvent {
    var itemIndex: Int? {
        if case .item(_, let item) = self { item.index } else { nil }
    }

    var isDone: Bool {
        if case .done = self { true } else { false }
    }
}
