/// The data of one `item` event on `GET /v1/jobs/{id}/events` (Server-Sent Events).
///
/// The stream sends one `event: item` per finished backtest (earlier items are replayed
/// first to a late subscriber), then one `event: done` whose data is a ``JobStatus``
/// without `results`:
///
/// ```
/// event: item
/// data: {"progress":{"done":1,"total":2},"item":{"index":0,"ticker":"AAPL","result":{…}}}
///
/// event: done
/// data: {"id":"…","status":"done","progress":{"done":2,"total":2}}
/// ```
public struct JobItemEvent: Sendable, Codable {
    /// Progress after this item.
    public var progress: JobProgress
    /// The finished item.
    public var item: BatchItem

    /// Creates an event.
    public init(progress: JobProgress, item: BatchItem) {
        self.progress = progress
        self.item = item
    }
}
