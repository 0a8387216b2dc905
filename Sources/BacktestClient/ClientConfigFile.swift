import BacktestAPI
import Foundation

/// The user's config file, `$XDG_CONFIG_HOME/backtest/config.json` or
/// `~/.config/backtest/config.json`:
///
/// ```json
/// {"server": "https://203.0.113.7:8000", "api_key": "…", "ca_cert": "/home/me/.config/backtest/vm-ca.pem",
///  "discover": "deploy/gcp/manage_vm.sh ip backtest-vm"}
/// ```
///
/// `server` may be one URL, a comma-separated list, or a JSON list of URLs. `backtest config
/// set` writes it (see ``Key``); members it does not know are kept.
public struct ClientConfigFile: Sendable, Hashable, Decodable {
    /// Server URL(s), comma-separated.
    public var server: String?
    /// The API key.
    public var apiKey: String?
    /// A PEM file of CA certificates to trust besides the system's (a private CA).
    public var caCert: String?
    /// A discovery command.
    public var discover: String?

    /// The members of the file: their JSON names and the names `backtest config set` takes.
    public enum Key: String, CaseIterable, Sendable, CodingKey {
        /// `server`: URL(s).
        case server
        /// `api_key`: the API key (`config set api-key`).
        case apiKey = "api_key"
        /// `ca_cert`: the CA certificate file (`config set ca-cert`).
        case caCert = "ca_cert"
        /// `discover`: the discovery command.
        case discover

        /// The name on the command line: `server`, `api-key`, `ca-cert`, `discover`.
        public var commandName: String { rawValue.replacingOccurrences(of: "_", with: "-") }

        /// The key a command-line name stands for.
        public init?(commandName: String) {
            guard let key = Self.allCases.first(where: { $0.commandName == commandName }) else { return nil }
            self = key
        }
    }

    /// Creates a config.
    public init(server: String? = nil, apiKey: String? = nil, caCert: String? = nil, discover: String? = nil) {
        self.server = server
        self.apiKey = apiKey
        self.caCert = caCert
        self.discover = discover
    }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: Key.self)
        if let list = try? c.decodeIfPresent([String].self, forKey: .server) {
            server = list.joined(separator: ",")
        } else {
            server = try c.decodeIfPresent(String.self, forKey: .server)
        }
        apiKey = try c.decodeIfPresent(String.self, forKey: .apiKey)
        caCert = try c.decodeIfPresent(String.self, forKey: .caCert)
        discover = try c.decodeIfPresent(String.self, forKey: .discover)
    }

    /// The value of `key`.
    public subscript(key: Key) -> String? {
        switch key {
        case .server: server
        case .apiKey: apiKey
        case .caCert: caCert
        case .discover: discover
        }
    }

    /// Where the config file lives for this environment: `$XDG_CONFIG_HOME/backtest/config.json`,
    /// else `$HOME/.config/backtest/config.json`; `nil` when neither variable is set.
    public static func defaultPath(environment: [String: String]) -> String? {
        if let xdg = environment["XDG_CONFIG_HOME"], !xdg.isEmpty { return xdg + "/backtest/config.json" }
        if let home = environment["HOME"], !home.isEmpty { return home + "/.config/backtest/config.json" }
        return nil
    }

    /// Loads the file at `path`: `nil` when it does not exist, an error when it is not valid.
    public static func load(path: String) throws(BacktestClientError) -> ClientConfigFile? {
        guard FileManager.default.fileExists(atPath: path) else { return nil }
        guard let data = FileManager.default.contents(atPath: path) else {
            throw BacktestClientError(code: .configUnreadable, message: "cannot read config file \(path)")
        }
        do {
            return try JSONDecoder().decode(ClientConfigFile.self, from: data)
        } catch {
            throw BacktestClientError(
                code: .configInvalid,
                message: "config file \(path) is not valid: expected {\"server\": …, \"api_key\": …, \"ca_cert\": …, \"discover\": …}"
            )
        }
    }
}
