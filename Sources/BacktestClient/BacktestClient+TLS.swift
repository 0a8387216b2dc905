import AsyncHTTPClient
import BacktestAPI
import BacktestTLS
import Foundation
import NIOCore
import NIOPosix
import NIOSSL
import NIOTLS
import SwiftASN1
import X509

extension BacktestClient {
    /// The error for a refused certificate, with the reason found by looking at the
    /// certificate the server sends (``CertificateRefusal``): one line naming the endpoint,
    /// the host and why (untrusted issuer, another host's, expired).
    func explainRefusal(_ error: BacktestClientError, endpoint: Endpoint) async -> BacktestClientError {
        let leaf = await Self.peerCertificate(of: endpoint, timeout: configuration.probeTimeout)
        let refusal = CertificateRefusal.diagnose(leaf: leaf, host: endpoint.host, trusted: trustedCertificates, now: Date())
        return BacktestClientError(code: .certificateRejected, message: "cannot reach \(endpoint): \(refusal)", endpoint: endpoint.url)
    }

    /// The certificate `endpoint` presents, fetched over a handshake that verifies nothing
    /// (only to explain a refusal; no request is sent). `nil` when it cannot be had in `timeout`.
    static func peerCertificate(of endpoint: Endpoint, timeout: Duration) async -> Certificate? {
        var tls = TLSConfiguration.makeClientConfiguration()
        tls.certificateVerification = .none
        guard let context = try? NIOSSLContext(configuration: tls) else { return nil }
        let serverName = TLSHost.isAddress(endpoint.host) ? nil : endpoint.host
        let group = HTTPClient.defaultEventLoopGroup
        let handshake = group.next().makePromise(of: Void.self)
        let bootstrap = ClientBootstrap(group: group)
            .connectTimeout(.milliseconds(timeout.milliseconds))
            .channelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    let handler = try NIOSSLClientHandler(context: context, serverHostname: serverName)
                    try channel.pipeline.syncOperations.addHandlers(handler, HandshakeWaiter(promise: handshake))
                }
            }
        do {
            let channel = try await bootstrap.connect(host: endpoint.host, port: endpoint.port).get()
            defer { channel.close(promise: nil) }
            let deadline = channel.eventLoop.scheduleTask(in: .milliseconds(timeout.milliseconds)) {
                handshake.fail(ChannelError.connectTimeout(.milliseconds(timeout.milliseconds)))
            }
            defer { deadline.cancel() }
            try await handshake.futureResult.get()
            guard let peer = try await channel.nioSSL_peerCertificate().get() else { return nil }
            return try Certificate(derEncoded: try peer.toDERBytes())
        } catch {
            handshake.fail(error)
            return nil
        }
    }
}

/// Completes a promise when the TLS handshake completes (or fails, or the connection closes).
private final class HandshakeWaiter: ChannelInboundHandler, Sendable {
    typealias InboundIn = NIOAny
    let promise: EventLoopPromise<Void>

    init(promise: EventLoopPromise<Void>) {
        self.promise = promise
    }

    func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
        if let event = event as? TLSUserEvent, case .handshakeCompleted = event { promise.succeed() }
        context.fireUserInboundEventTriggered(event)
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        promise.fail(error)
        context.close(promise: nil)
    }

    func channelInactive(context: ChannelHandlerContext) {
        promise.fail(ChannelError.eof)
        context.fireChannelInactive()
    }
}
