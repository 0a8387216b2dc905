import Foundation

/// The user's config file, `$XDG_CONFIG_HOME/backtest/config.json` or
/// `~/.config/backtest/config.json`:
///
/// ```json
/// {"server": "http://10.0.0.5:8000", "api_key": "…", "discover": "bash scripts/utils/manage_vm.sh ip backtesting-api-vm"}
/// ```
///
/// `server` may be one URL, a comma-separated list, or a JSON list of URLs.
public struct ClientConfigFile: Sendable, Hashable, Decodable {
    /// Server URL(s), comma-separated.
    public var server: String?
    /// The API key.
    public var apiKey: String?
    /// A discovery command.
    public var discover: String?

    enum CodingKeys: String, CodingKey {
        case server, discover
        case apiKey = "api_key"
    }

    /// Creates a config.
    public init(server: String? = nil, apiKey: String? = nil, discover: String? = nil) {
        self.server = server
        self.apiKey = apiKey
        self.discover = discover
    }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        if let list = try? c.decodeIfPresent([String].self, forKey: .server) {
            server = list.joined(separator: ",")
        } else {
            server = try c.decodeIfPresent(String.self, forKey: .server)
        }
        apiKey = try c.decodeIfPresent(String.self, forKey: .apiKey)
        discover = try c.decodeIfPresent(String.self, forKey: .discover)
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
                message: "config file \(path) is not valid: expected {\"server\": …, \"api_key\": …, \"discover\": …}"
            )
        }
    }
}
