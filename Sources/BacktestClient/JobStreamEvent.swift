import BacktestAPI
import Foundation

/// A typed event of a job's stream (`GET /v1/jobs/{id}/events`): one `item` per finished
/// backtest, then `done` with the final status.
public enum JobStreamEvent: Sendable {
    /// A backtest finished; `progress` counts it.
    case item(progress: JobProgress, item: BatchItem)
    /// The job ended (done, failed or cancelled); the status carries no results.
    case done(JobStatus)
    /// An event this client does not know (ignored by the CLI).
    case other(ServerSentEvent)

    /// Decodes a server-sent event; throws `invalid_reply` when a known event's data is malformed.
    public init(_ event: ServerSentEvent) throws(BacktestClientError) {
        let data = Data(event.data.utf8)
        do {
            switch event.event {
            case "item":
                let payload = try JSONDecoder().decode(ItemPayload.self, from: data)
                self = .item(progress: payload.progress, item: payload.item)
            case "done":
                self = .done(try JSONDecoder().decode(JobStatus.self, from: data))
            default:
                self = .other(event)
            }
        } catch {
            throw BacktestClientError(code: .invalidReply, message: "malformed '\(event.event)' event: \(error)")
        }
    }

    /// The data of an `item` event: `{"progress": {...}, "item": {...}}`.
    struct ItemPayload: Decodable {
        var progress: JobProgress
        var item: BatchItem
    }
}

extension BacktestClient {
    /// A job's typed events, until the `done` event or the end of the stream. Each item is
    /// delivered once: an item the server repeats (a replayed item can also arrive live when
    /// subscribing while it is being stored) is dropped.
    public func jobStreamEvents(_ id: String) -> AsyncThrowingStream<JobStreamEvent, any Error> {
        typedJobEvents(id, as: JobStreamEvent.self)
    }

    /// Job `id`'s events decoded as `Event`, each item once (by its index), until `done` or the
    /// end of the stream. Not retried: a broken stream ends with an error.
    func typedJobEvents<Event: TypedJobEvent>(_ id: String, as: Event.Type) -> AsyncThrowingStream<Event, any Error> {
        let events = jobEvents(id)
        return AsyncThrowingStream { continuation in
            let task = Task {
                do {
                    var seen = Set<Int>()
                    for try await raw in events {
                        let event = try Event(raw)
                        if let index = event.itemIndex, !seen.insert(index).inserted { continue }
                        continuation.yield(event)
                        if event.isDone { break }
                    }
                    continuation.finish()
                } catch {
                    continuation.finish(throwing: error)
                }
            }
            continuation.onTermination = { _ in task.cancel() }
        }
    }
}

/// An event of a job's stream decoded for one kind of job (``JobStreamEvent``,
/// ``PortfolioJobStreamEvent``): what ``BacktestClient/typedJobEvents(_:as:)`` needs to deliver
/// each item once and stop at `done`.
protocol TypedJobEvent: Sendable {
    /// Decodes a server-sent event.
    init(_ event: ServerSentEvent) throws(BacktestClientError)
    /// The finished item's index, for an `item` event.
    var itemIndex: Int? { get }
    /// Whether this is the `done` event.
    var isDone: Bool { get }
}

extension JobStreamEvent: TypedJobEvent {
    var itemIndex: Int? {
        if case .item(_, let item) = self { item.index } else { nil }
    }

    var isDone: Bool {
        if case .done = self { true } else { false }
    }
}
