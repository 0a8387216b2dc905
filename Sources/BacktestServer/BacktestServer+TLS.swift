import Foundation
import NIOSSL

extension BacktestServer.Configuration.TLSFiles {
    /// Reads the certificate chain and key and checks that they belong together.
    ///
    /// - Returns: the server's TLS configuration and the first certificate's expiry.
    /// - Throws: ``ServerError`` `tls` naming the file and what is wrong with it.
    func load() throws(ServerError) -> (configuration: TLSConfiguration, expiry: Date) {
        guard FileManager.default.isReadableFile(atPath: certificatePath) else {
            throw ServerError(code: .tls, message: "cannot read the TLS certificate --tls-cert \(certificatePath)")
        }
        guard FileManager.default.isReadableFile(atPath: privateKeyPath) else {
            throw ServerError(code: .tls, message: "cannot read the TLS key --tls-key \(privateKeyPath)")
        }
        let chain: [NIOSSLCertificate]
        do {
            chain = try NIOSSLCertificate.fromPEMFile(certificatePath)
        } catch {
            throw ServerError(code: .tls, message: "--tls-cert \(certificatePath) holds no PEM certificate")
        }
        guard let leaf = chain.first else {
            throw ServerError(code: .tls, message: "--tls-cert \(certificatePath) holds no PEM certificate")
        }
        let key: NIOSSLPrivateKey
        do {
            key = try NIOSSLPrivateKey(file: privateKeyPath, format: .pem)
        } catch {
            throw ServerError(code: .tls, message: "--tls-key \(privateKeyPath) holds no PEM private key")
        }
        let configuration = TLSConfiguration.makeServerConfiguration(
            certificateChain: chain.map { .certificate($0) },
            privateKey: .privateKey(key)
        )
        do {
            // Builds the context now, so a key that does not match the certificate stops the
            // start instead of every handshake.
            _ = try NIOSSLContext(configuration: configuration)
        } catch {
            throw ServerError(
                code: .tls,
                message: "--tls-key \(privateKeyPath) does not belong to the certificate in --tls-cert \(certificatePath)"
            )
        }
        return (configuration, Date(timeIntervalSince1970: TimeInterval(leaf.notValidAfter)))
    }
}
