/// One server-sent event (`text/event-stream`): its `event` name (default `message`), its
/// `data` (lines joined with `\n`) and its `id`.
public struct ServerSentEvent: Sendable, Hashable {
    /// The event name; `message` when the stream gave none.
    public var event: String
    /// The data lines, joined with newlines.
    public var data: String
    /// The event id, if one.
    public var id: String?

    /// Creates an event.
    public init(event: String = "message", data: String, id: String? = nil) {
        self.event = event
        self.data = data
        self.id = id
    }
}

/// Incremental parser of an event stream, per the WHATWG rules: fed bytes in arbitrary
/// chunks, it returns the events completed so far. Comments (`:` lines) are skipped.
public struct ServerSentEventParser: Sendable {
    private var line: [UInt8] = []
    private var lastWasCR = false
    private var event: String?
    private var data: [String] = []
    private var hasData = false
    private var id: String?

    /// Creates a parser.
    public init() {}

    /// Feeds bytes; returns the events they completed.
    public mutating func feed<Bytes: Sequence>(_ bytes: Bytes) -> [ServerSentEvent] where Bytes.Element == UInt8 {
        var events: [ServerSentEvent] = []
        for byte in bytes {
            if byte == UInt8(ascii: "\n") && lastWasCR {
                lastWasCR = false
                continue
            }
            lastWasCR = byte == UInt8(ascii: "\r")
            if byte == UInt8(ascii: "\n") || byte == UInt8(ascii: "\r") {
                if let e = endLine() { events.append(e) }
            } else {
                line.append(byte)
            }
        }
        return events
    }

    private mutating func endLine() -> ServerSentEvent? {
        defer { line.removeAll(keepingCapacity: true) }
        if line.isEmpty {
            defer {
                event = nil
                data = []
                hasData = false
            }
            guard hasData else { return nil }
            return ServerSentEvent(event: event ?? "message", data: data.joined(separator: "\n"), id: id)
        }
        let text = String(decoding: line, as: UTF8.self)
        if text.hasPrefix(":") { return nil }
        let field: Substring
        let value: Substring
        if let colon = text.firstIndex(of: ":") {
            field = text[..<colon]
            var v = text[text.index(after: colon)...]
            if v.hasPrefix(" ") { v = v.dropFirst() }
            value = v
        } else {
            field = Substring(text)
            value = ""
        }
        switch field {
        case "event": event = String(value)
        case "data":
            data.append(String(value))
            hasData = true
        case "id": id = String(value)
        default: break
        }
        return nil
    }
}
