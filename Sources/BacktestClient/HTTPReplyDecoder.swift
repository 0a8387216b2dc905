/// An HTTP/1.1 reply assembled from the bytes of a connection, as they arrive (pure: no I/O).
///
/// Feed it what the socket read, then ask for the reply; `nil` means it needs more bytes:
///
/// ```swift
/// var decoder = HTTPReplyDecoder(maximumBodyBytes: 1 << 20)
/// decoder.feed(Array("HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok".utf8))
/// let reply = try decoder.reply(atEnd: false)   // status 200, body "ok", keep-alive
/// ```
///
/// It reads what ``SocketTransport`` needs of RFC 9112: a status line, header fields (names
/// compared without case, obsolete folding joined), a body framed by `Transfer-Encoding:
/// chunked` (extensions and trailers skipped), by `Content-Length`, or by the end of the
/// connection; `1xx` interim replies are skipped, and `204`/`304` have no body. Whether the
/// connection can carry another request follows the version and `Connection` field.
struct HTTPReplyDecoder: Sendable {
    /// A whole reply.
    struct Reply: Sendable, Equatable {
        /// The status code.
        var status: Int
        /// The header fields in order, names in lower case.
        var headers: [Field]
        /// The body, de-chunked.
        var body: [UInt8]
        /// Whether the connection may carry another request.
        var keepAlive: Bool

        /// The first value of `name` (lower case), if present.
        func value(of name: String) -> String? { headers.value(of: name) }
    }

    /// One header field.
    struct Field: Sendable, Equatable {
        var name: String
        var value: String
    }

    /// Why the bytes are not a reply this decoder accepts; `message` finishes a sentence that
    /// starts "the server …" (``SocketTransport`` names the server).
    struct Failure: Error, Sendable, Equatable {
        /// What went wrong, for the client's error kinds.
        enum Kind: Sendable, Equatable {
            /// The connection ended before the status line: no reply at all.
            case closedWithoutReply
            /// The connection ended inside the reply.
            case closedEarly
            /// The bytes are not an HTTP/1.x reply (e.g. a TLS server's alert).
            case notHTTP
            /// A reply whose framing cannot be read (bad `Content-Length`, chunk size, long line).
            case malformed
            /// The body is over the limit.
            case tooLarge
        }

        var kind: Kind
        var message: String
    }

    /// The longest status or header line accepted.
    static let maximumLineBytes = 65_536
    /// The most header fields accepted.
    static let maximumFields = 200

    private enum Phase: Sendable {
        case head
        case fixed(remaining: Int)
        case chunkSize
        case chunkData(remaining: Int)
        case chunkDataEnd
        case trailers
        case untilClose
        case done
    }

    private var buffer: [UInt8] = []
    private var start = 0
    private var phase = Phase.head
    private var status = 0
    private var headers: [Field] = []
    private var body: [UInt8] = []
    private var keepAlive = true
    private let maximumBodyBytes: Int
    private let headRequest: Bool

    /// A decoder for the reply to one request; `headRequest` when it was a `HEAD` (no body).
    init(maximumBodyBytes: Int, headRequest: Bool = false) {
        self.maximumBodyBytes = maximumBodyBytes
        self.headRequest = headRequest
    }

    /// Whether bytes of a reply have arrived (a connection closed before any was idle).
    var hasStarted: Bool { !buffer.isEmpty || start > 0 || status != 0 }

    /// Adds bytes read from the connection.
    mutating func feed(_ bytes: UnsafeRawBufferPointer) {
        compact()
        buffer.append(contentsOf: bytes)
    }

    /// Adds bytes read from the connection.
    mutating func feed(_ bytes: [UInt8]) {
        bytes.withUnsafeBytes { feed($0) }
    }

    /// The reply once it is whole, `nil` while more bytes are needed; `atEnd` when the
    /// connection has ended (no more bytes will come).
    mutating func reply(atEnd: Bool) throws(Failure) -> Reply? {
        while true {
            switch phase {
            case .done:
                return Reply(status: status, headers: headers, body: body, keepAlive: keepAlive)
            case .head:
                guard try readHead() else { return try needMore(atEnd) }
            case .fixed(let remaining):
                let left = try moveToBody(upTo: remaining)
                phase = left == 0 ? .done : .fixed(remaining: left)
                if left > 0 { return try needMore(atEnd) }
            case .chunkSize:
                guard let line = try line() else { return try needMore(atEnd) }
                let size = try chunkSize(line)
                phase = size == 0 ? .trailers : .chunkData(remaining: size)
            case .chunkData(let remaining):
                let left = try moveToBody(upTo: remaining)
                phase = left == 0 ? .chunkDataEnd : .chunkData(remaining: left)
                if left > 0 { return try needMore(atEnd) }
            case .chunkDataEnd:
                guard let line = try line() else { return try needMore(atEnd) }
                guard line.isEmpty else { throw Failure(kind: .malformed, message: "sent a chunk longer than its size") }
                phase = .chunkSize
            case .trailers:
                guard let line = try line() else { return try needMore(atEnd) }
                if line.isEmpty { phase = .done }
            case .untilClose:
                try append(count: buffer.count - start)
                guard atEnd else { return nil }
                keepAlive = false
                phase = .done
            }
        }
    }

    /// `nil` (wait for bytes) or, at the end of the connection, the error for a cut reply.
    private func needMore(_ atEnd: Bool) throws(Failure) -> Reply? {
        guard atEnd else { return nil }
        if case .head = phase, status == 0, buffer.count == start {
            throw Failure(kind: .closedWithoutReply, message: "closed the connection without a reply")
        }
        throw Failure(kind: .closedEarly, message: "closed the connection before the end of its reply")
    }

    /// Reads the status line and fields once they are all here; skips `1xx` replies.
    private mutating func readHead() throws(Failure) -> Bool {
        while true {
            guard let end = headEnd() else {
                if buffer.count - start > Self.maximumLineBytes * 2 {
                    throw Failure(kind: .malformed, message: "sent a reply head over \(Self.maximumLineBytes * 2) bytes")
                }
                if status == 0, buffer.count - start >= 5, !buffer[start..<start + 5].elementsEqual("HTTP/".utf8) {
                    throw notHTTP()
                }
                return false
            }
            var lines = buffer[start..<end].split(separator: UInt8(ascii: "\n"), omittingEmptySubsequences: false).map { line in
                line.last == UInt8(ascii: "\r") ? line.dropLast() : line
            }
            while lines.last?.isEmpty == true { lines.removeLast() }
            guard let statusLine = lines.first else { throw notHTTP() }
            let (minor, code) = try Self.statusLine(statusLine, failure: notHTTP())
            let fields = try Self.fields(lines.dropFirst())
            start = end
            if (100..<200).contains(code) && code != 101 {
                status = 0
                continue
            }
            status = code
            headers = fields
            try choosePhase(minorVersion: minor)
            return true
        }
    }

    /// The framing of the body, from the status and fields.
    private mutating func choosePhase(minorVersion: Int) throws(Failure) {
        let connection = headers.filter { $0.name == "connection" }.flatMap { Self.tokens($0.value) }
        keepAlive = minorVersion == 0 ? connection.contains("keep-alive") : !connection.contains("close")
        if headRequest || status == 204 || status == 304 {
            phase = .done
        } else if let coding = headers.last(where: { $0.name == "transfer-encoding" }), Self.tokens(coding.value).last == "chunked" {
            phase = .chunkSize
        } else if let text = headers.value(of: "content-length") {
            guard let length = Int(text.split(separator: ",").first.map { String($0).trimmingWhitespace() } ?? ""), length >= 0 else {
                throw Failure(kind: .malformed, message: "sent an invalid Content-Length \"\(text)\"")
            }
            guard length <= maximumBodyBytes else { throw tooLarge() }
            phase = length == 0 ? .done : .fixed(remaining: length)
        } else {
            phase = .untilClose
        }
    }

    /// A field's comma-separated tokens, in lower case (`Keep-Alive, Upgrade` -> `keep-alive`, `upgrade`).
    ///
    /// (Not `String.contains(_:)`: its substring search's first use costs a scan of the binary's
    /// protocol conformances, a quarter of a millisecond in this one.)
    private static func tokens(_ value: String) -> [String] {
        value.split(separator: ",").map { String($0).trimmingWhitespace().lowercased() }
    }

    /// The index just past the blank line that ends the head, if it has arrived.
    private func headEnd() -> Int? {
        var i = start
        while i < buffer.count {
            if buffer[i] == UInt8(ascii: "\n") {
                // "\n\n" or "\n\r\n"
                if i + 1 < buffer.count, buffer[i + 1] == UInt8(ascii: "\n") { return i + 2 }
                if i + 2 < buffer.count, buffer[i + 1] == UInt8(ascii: "\r"), buffer[i + 2] == UInt8(ascii: "\n") { return i + 3 }
            }
            i += 1
        }
        return nil
    }

    /// The next line without its line break, if it has arrived.
    private mutating func line() throws(Failure) -> ArraySlice<UInt8>? {
        guard let newline = buffer[start...].firstIndex(of: UInt8(ascii: "\n")) else {
            if buffer.count - start > Self.maximumLineBytes {
                throw Failure(kind: .malformed, message: "sent a line over \(Self.maximumLineBytes) bytes")
            }
            return nil
        }
        var line = buffer[start..<newline]
        if line.last == UInt8(ascii: "\r") { line = line.dropLast() }
        start = newline + 1
        return line
    }

    /// Moves up to `count` buffered bytes to the body; how many of the `count` are still to come.
    private mutating func moveToBody(upTo count: Int) throws(Failure) -> Int {
        let take = min(count, buffer.count - start)
        try append(count: take)
        return count - take
    }

    /// Moves `count` buffered bytes to the body.
    private mutating func append(count: Int) throws(Failure) {
        guard count > 0 else { return }
        guard body.count + count <= maximumBodyBytes else { throw tooLarge() }
        body.append(contentsOf: buffer[start..<start + count])
        start += count
    }

    /// Drops consumed bytes once they are most of the buffer.
    private mutating func compact() {
        guard start > 0, start * 2 >= buffer.count else { return }
        buffer.removeSubrange(0..<start)
        start = 0
    }

    private func notHTTP() -> Failure {
        let head = buffer[start..<min(buffer.count, start + 16)]
        let printable = head.allSatisfy { (0x20..<0x7f).contains($0) || $0 == 0x0d || $0 == 0x0a }
        let shown = printable ? "\"\(String(decoding: head, as: UTF8.self))\"" : head.map { hex($0) }.joined(separator: " ")
        return Failure(kind: .notHTTP, message: "sent something that is not HTTP (it starts \(shown))")
    }

    private func tooLarge() -> Failure {
        Failure(kind: .tooLarge, message: "sent a reply over the \(maximumBodyBytes >> 20) MiB limit")
    }

    /// `HTTP/1.x NNN reason`: the minor version and the status.
    private static func statusLine(_ line: ArraySlice<UInt8>, failure: Failure) throws(Failure) -> (Int, Int) {
        let parts = line.split(separator: UInt8(ascii: " "), maxSplits: 2, omittingEmptySubsequences: true)
        guard parts.count >= 2, parts[0].count == 8, parts[0].starts(with: "HTTP/1.".utf8),
            let minor = parts[0].last.map({ Int($0) - 0x30 }), (0...9).contains(minor),
            parts[1].count == 3, let status = Int(String(decoding: parts[1], as: UTF8.self)), (100...999).contains(status)
        else { throw failure }
        return (minor, status)
    }

    /// The header fields, names in lower case, continuation lines joined to the field before.
    private static func fields(_ lines: ArraySlice<ArraySlice<UInt8>>) throws(Failure) -> [Field] {
        var fields: [Field] = []
        for line in lines {
            if let first = line.first, first == UInt8(ascii: " ") || first == UInt8(ascii: "\t"), !fields.isEmpty {
                fields[fields.count - 1].value += " " + String(decoding: line, as: UTF8.self).trimmingWhitespace()
                continue
            }
            guard let colon = line.firstIndex(of: UInt8(ascii: ":")), colon > line.startIndex else {
                throw Failure(kind: .malformed, message: "sent a header line without a name")
            }
            let name = String(decoding: line[line.startIndex..<colon], as: UTF8.self).lowercased()
            fields.append(Field(name: name, value: String(decoding: line[(colon + 1)...], as: UTF8.self).trimmingWhitespace()))
            if fields.count > maximumFields { throw Failure(kind: .malformed, message: "sent over \(maximumFields) header fields") }
        }
        return fields
    }

    /// A chunk-size line's size (hexadecimal, extensions after `;` ignored).
    private func chunkSize(_ line: ArraySlice<UInt8>) throws(Failure) -> Int {
        let digits = line.prefix { $0 != UInt8(ascii: ";") }
        let text = String(decoding: digits, as: UTF8.self).trimmingWhitespace()
        guard !text.isEmpty, text.count <= 15, let size = Int(text, radix: 16), size >= 0 else {
            throw Failure(kind: .malformed, message: "sent an invalid chunk size \"\(String(decoding: line.prefix(32), as: UTF8.self))\"")
        }
        guard body.count + size <= maximumBodyBytes else { throw tooLarge() }
        return size
    }
}

extension [HTTPReplyDecoder.Field] {
    /// The first value of the field `name` (lower case), if present.
    func value(of name: String) -> String? { first { $0.name == name }?.value }
}

/// Two hexadecimal digits.
private func hex(_ byte: UInt8) -> String {
    let digits = Array("0123456789abcdef".utf8)
    return String(decoding: [digits[Int(byte >> 4)], digits[Int(byte & 15)]], as: UTF8.self)
}
