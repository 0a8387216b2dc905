import Testing

@testable import BacktestClient

/// The socket transport's reply reader, on bytes alone: framing, interim replies, keep-alive,
/// and every way a reply can be cut or wrong.
@Suite struct HTTPReplyDecoderTests {
    /// Feeds `text` in pieces of `step` bytes, asking after each; the reply once whole.
    static func decode(
        _ text: String,
        step: Int = .max,
        atEnd: Bool = false,
        limit: Int = 1 << 20,
        head: Bool = false
    ) throws
        -> HTTPReplyDecoder.Reply?
    {
        var decoder = HTTPReplyDecoder(maximumBodyBytes: limit, headRequest: head)
        let bytes = Array(text.utf8)
        var offset = 0
        while offset < bytes.count {
            let end = min(bytes.count, offset + min(step, bytes.count))
            decoder.feed(Array(bytes[offset..<end]))
            offset = end
            if let reply = try decoder.reply(atEnd: atEnd && offset == bytes.count) {
                #expect(offset == bytes.count, "a reply before its last byte")
                return reply
            }
        }
        return try decoder.reply(atEnd: atEnd)
    }

    static func failure(_ text: String, atEnd: Bool = true, limit: Int = 1 << 20) -> HTTPReplyDecoder.Failure? {
        do {
            _ = try decode(text, atEnd: atEnd, limit: limit)
            return nil
        } catch {
            return error as? HTTPReplyDecoder.Failure
        }
    }

    @Test(arguments: [1, 2, 7, 1000])
    func contentLengthInAnyPieces(step: Int) throws {
        let reply = try #require(try Self.decode("HTTP/1.1 201 Created\r\nContent-Length: 5\r\nRetry-After: 3\r\n\r\nhello", step: step))
        #expect(reply.status == 201)
        #expect(String(decoding: reply.body, as: UTF8.self) == "hello")
        #expect(reply.value(of: "retry-after") == "3")
        #expect(reply.keepAlive)
    }

    @Test(arguments: [1, 3, 1000])
    func chunkedWithExtensionsAndTrailers(step: Int) throws {
        let text = "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5;name=x\r\nhello\r\nA\r\n, world!!!\r\n0\r\nExpires: never\r\n\r\n"
        let reply = try #require(try Self.decode(text, step: step))
        #expect(String(decoding: reply.body, as: UTF8.self) == "hello, world!!!")
        #expect(reply.keepAlive)
    }

    @Test func aBodyToTheEndOfTheConnectionNeedsTheEnd() throws {
        let text = "HTTP/1.1 200 OK\r\n\r\nall of it"
        #expect(try Self.decode(text) == nil)
        let reply = try #require(try Self.decode(text, atEnd: true))
        #expect(String(decoding: reply.body, as: UTF8.self) == "all of it")
        #expect(!reply.keepAlive)
    }

    @Test func interimRepliesAreSkipped() throws {
        let reply = try #require(try Self.decode("HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok", step: 4))
        #expect(reply.status == 200 && reply.body == Array("ok".utf8))
    }

    @Test func noBodyFor204And304AndHead() throws {
        #expect(try Self.decode("HTTP/1.1 204 No Content\r\n\r\n")?.body == [])
        #expect(try Self.decode("HTTP/1.1 304 Not Modified\r\nContent-Length: 10\r\n\r\n")?.body == [])
        #expect(try Self.decode("HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\n", head: true)?.body == [])
    }

    @Test func keepAliveFollowsTheVersionAndConnectionField() throws {
        #expect(try Self.decode("HTTP/1.1 200 OK\r\nContent-Length: 0\r\nConnection: close\r\n\r\n")?.keepAlive == false)
        #expect(try Self.decode("HTTP/1.1 200 OK\r\nContent-Length: 0\r\nconnection: Keep-Alive\r\n\r\n")?.keepAlive == true)
        #expect(try Self.decode("HTTP/1.0 200 OK\r\nContent-Length: 0\r\n\r\n")?.keepAlive == false)
        #expect(try Self.decode("HTTP/1.0 200 OK\r\nContent-Length: 0\r\nConnection: keep-alive\r\n\r\n")?.keepAlive == true)
    }

    @Test func fieldNamesInLowerCaseAndFoldedLinesJoined() throws {
        let reply = try #require(try Self.decode("HTTP/1.1 200 OK\nX-Long: one\n\t two\nContent-Length: 0\n\n"))
        #expect(reply.headers == [.init(name: "x-long", value: "one two"), .init(name: "content-length", value: "0")])
    }

    @Test func theEndOfTheConnectionBeforeOrInsideAReply() {
        #expect(Self.failure("")?.kind == .closedWithoutReply)
        #expect(Self.failure("HTTP/1.1 200 OK\r\nContent-")?.kind == .closedEarly)
        #expect(Self.failure("HTTP/1.1 200 OK\r\nContent-Length: 9\r\n\r\nhalf")?.kind == .closedEarly)
        #expect(Self.failure("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhel")?.kind == .closedEarly)
        #expect(Self.failure("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n")?.kind == .closedEarly)
        #expect(Self.failure("HTTP/1.1 200 OK\r\nContent-Length: 9\r\n\r\nhalf", atEnd: false) == nil)
    }

    @Test func somethingThatIsNotHTTP() {
        // A TLS server's alert to a plain-HTTP request.
        let alert = String(decoding: [0x15, 0x03, 0x03, 0x00, 0x02, 0x02, 0x46], as: UTF8.self)
        let tls = Self.failure(alert, atEnd: false)
        #expect(tls?.kind == .notHTTP)
        #expect(tls?.message.hasPrefix("sent something that is not HTTP (it starts 15 03 03 00 02 02 46") == true, "\(String(describing: tls))")
        let ssh = Self.failure("SSH-2.0-OpenSSH_9.2\r\n\r\n", atEnd: false)
        #expect(ssh?.message == "sent something that is not HTTP (it starts \"SSH-2.0-OpenSSH_\")")
        #expect(Self.failure("HTTP/2 200\r\n\r\n", atEnd: false)?.kind == .notHTTP)
        #expect(Self.failure("HTTP/1.1 20 OK\r\n\r\n", atEnd: false)?.kind == .notHTTP)
    }

    @Test func framingThatCannotBeRead() {
        #expect(Self.failure("HTTP/1.1 200 OK\r\nContent-Length: ten\r\n\r\n")?.message == "sent an invalid Content-Length \"ten\"")
        #expect(Self.failure("HTTP/1.1 200 OK\r\nContent-Length: -1\r\n\r\n")?.kind == .malformed)
        #expect(Self.failure("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n")?.message == "sent an invalid chunk size \"zz\"")
        #expect(Self.failure("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n2\r\nabc\r\n")?.kind == .malformed)
        #expect(Self.failure("HTTP/1.1 200 OK\r\nno colon here\r\n\r\n")?.kind == .malformed)
        #expect(Self.failure("HTTP/1.1 200 OK\r\nX: " + String(repeating: "a", count: 140_000), atEnd: false)?.kind == .malformed)
    }

    @Test func repliesOverTheLimit() {
        #expect(Self.failure("HTTP/1.1 200 OK\r\nContent-Length: 2000000\r\n\r\n", atEnd: false, limit: 1 << 20)?.kind == .tooLarge)
        let chunked = "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n" + String(repeating: "4\r\nabcd\r\n", count: 3)
        #expect(Self.failure(chunked, atEnd: false, limit: 10)?.kind == .tooLarge)
        #expect(Self.failure("HTTP/1.1 200 OK\r\n\r\n" + String(repeating: "x", count: 11), atEnd: false, limit: 10)?.kind == .tooLarge)
        #expect(
            Self.failure("HTTP/1.1 200 OK\r\nContent-Length: 2000000\r\n\r\n", atEnd: false, limit: 1 << 20)?.message
                == "sent a reply over the 1 MiB limit"
        )
    }
}
