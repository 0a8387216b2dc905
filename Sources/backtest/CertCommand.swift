import ArgumentParser
import BacktestTLS
import Foundation

/// `backtest cert`: certificates for a TLS server without a PKI.
struct CertCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "cert",
        abstract: "Make TLS certificates for `backtest serve`.",
        subcommands: [CertInitCommand.self]
    )
}

/// `backtest cert init --host A[,B…] --out DIR`: a private CA (kept when DIR has one) and a
/// server certificate for those addresses and names.
struct CertInitCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "init",
        abstract: "Make a private CA and a server certificate for the given IP addresses and DNS names.",
        discussion: """
            Writes DIR/ca.pem, DIR/ca-key.pem (0600), DIR/server.pem and DIR/server-key.pem (0600). \
            A CA already in DIR (ca.pem + ca-key.pem) is kept, so clients that trust it keep working \
            when the server's certificate is issued again for new addresses.
            Example:
              backtest cert init --host 203.0.113.7,10.128.0.2,127.0.0.1 --out /etc/backtest/tls
            """
    )

    @Option(help: ArgumentHelp("IP addresses and DNS names the server is reached by, comma-separated.", valueName: "addr,..."))
    var host: String

    @Option(help: ArgumentHelp("Folder to write the files into (made when missing).", valueName: "dir"))
    var out: String

    func run() throws {
        do {
            let hosts = try TLSHost.parseList(host)
            let folder = CertificateDirectory(path: out)
            let outcome = try folder.initialise(hosts: hosts, now: Date())
            let day = ISO8601DateFormatter()
            day.formatOptions = [.withFullDate]
            Terminal.stdout(
                """
                \(outcome.reusedCA ? "kept the CA in" : "made a new CA:") \(folder.caCertificatePath) (valid until \(day.string(from: outcome.caExpiry)))
                issued \(folder.serverCertificatePath) for \(hosts.map(\.description).joined(separator: ", ")) (valid until \(day.string(from: outcome.serverExpiry)))

                where each file goes:
                  server:  backtest serve --tls-cert \(folder.serverCertificatePath) --tls-key \(folder.serverKeyPath) ...
                  clients: backtest config set ca-cert ca.pem   (a copy of \(folder.caCertificatePath); or --ca-cert / BACKTEST_CA_CERT)
                  keep:    \(folder.caKeyPath) stays here, private: it signs the next server certificate

                """
            )
        } catch {
            throw CLIError(message: error.message)
        }
    }
}
