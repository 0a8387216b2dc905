import ArgumentParser
import BacktestClient
import BacktestTLS
import Foundation

/// `backtest config`: the client's config file, without editing JSON by hand.
struct ConfigCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "config",
        abstract: "Show or change the client's config file (server, api-key, ca-cert, discover).",
        discussion: """
            The file is $XDG_CONFIG_HOME/backtest/config.json, else ~/.config/backtest/config.json \
            (mode 0600). The remote commands read it after --server/--api-key/--ca-cert and the \
            BACKTEST_* variables (see `backtest endpoint`).
            Examples:
              backtest config set server https://203.0.113.7:8000
              backtest config set api-key - < key.txt
              backtest config set ca-cert ~/.config/backtest/vm-ca.pem
              backtest config set discover "deploy/gcp/manage_vm.sh ip backtest-vm"
              backtest config show
            """,
        subcommands: [ConfigSetCommand.self, ConfigUnsetCommand.self, ConfigShowCommand.self, ConfigPathCommand.self]
    )

    /// The config file's path for this environment.
    static func path() throws -> String {
        guard let path = ClientConfigFile.defaultPath(environment: ProcessEnvironment.variables()) else {
            throw CLIError(message: "no config file location: neither XDG_CONFIG_HOME nor HOME is set")
        }
        return path
    }

    /// `server`, `api-key`, `ca-cert` or `discover`, or a usage error listing them.
    static func key(_ name: String) throws -> ClientConfigFile.Key {
        guard let key = ClientConfigFile.Key(commandName: name) else {
            let names = ClientConfigFile.Key.allCases.map(\.commandName).joined(separator: ", ")
            throw CLIError(message: "unknown config key '\(name)': expected one of \(names)")
        }
        return key
    }
}

/// `backtest config set KEY VALUE`.
struct ConfigSetCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "set",
        abstract: "Set one member of the config file (VALUE '-' reads it from stdin).",
        discussion: "server: URL(s), checked; api-key: the key; ca-cert: a PEM file, checked and stored as an absolute path; discover: a command."
    )

    @Argument(help: ArgumentHelp("server, api-key, ca-cert or discover.", valueName: "key"))
    var key: String

    @Argument(help: ArgumentHelp("The value; '-' reads it from stdin (e.g. an API key kept out of the shell history).", valueName: "value"))
    var value: String

    func run() throws {
        let key = try ConfigCommand.key(key)
        var value = value
        if value == "-" {
            let data = FileHandle.standardInput.readDataToEndOfFile()
            value = String(decoding: data, as: UTF8.self)
        }
        value = value.trimmingCharacters(in: .whitespacesAndNewlines)
        guard !value.isEmpty else { throw CLIError(message: "empty value for \(key.commandName); use `backtest config unset \(key.commandName)`") }
        switch key {
        case .server:
            do {
                _ = try Endpoint.parseList(value)
            } catch {
                throw CLIError(message: error.message)
            }
        case .caCert:
            value = URL(fileURLWithPath: value).standardizedFileURL.path
            do {
                _ = try TrustedCertificates.load(path: value)
            } catch {
                throw CLIError(message: error.message)
            }
        case .apiKey:
            guard !value.contains(where: { $0.isWhitespace }) else { throw CLIError(message: "an API key has no spaces or line breaks") }
        case .discover:
            break
        }
        let path = try ConfigCommand.path()
        do {
            try ClientConfigFile.set(key, to: value, path: path)
        } catch {
            throw CLIError(message: error.message, exitCode: 1)
        }
        let shown = key == .apiKey ? ClientConfigFile.masked(apiKey: value) : value
        Terminal.stdout("\(key.commandName) = \(shown) (in \(path))\n")
    }
}

/// `backtest config unset KEY`.
struct ConfigUnsetCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "unset", abstract: "Remove one member of the config file.")

    @Argument(help: ArgumentHelp("server, api-key, ca-cert or discover.", valueName: "key"))
    var key: String

    func run() throws {
        let key = try ConfigCommand.key(key)
        let path = try ConfigCommand.path()
        guard FileManager.default.fileExists(atPath: path) else {
            Terminal.stdout("\(path) does not exist; nothing to unset\n")
            return
        }
        do {
            try ClientConfigFile.set(key, to: nil, path: path)
        } catch {
            throw CLIError(message: error.message, exitCode: 1)
        }
        Terminal.stdout("\(key.commandName) removed (from \(path))\n")
    }
}

/// `backtest config show`: the file's members, the API key masked.
struct ConfigShowCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "show", abstract: "Print the config file, the API key masked.")

    func run() throws {
        let path = try ConfigCommand.path()
        let config: ClientConfigFile?
        do {
            config = try ClientConfigFile.load(path: path)
        } catch {
            throw CLIError(message: error.message, exitCode: 1)
        }
        Terminal.stdout("config file: \(path)\(config == nil ? " (not created yet)" : "")\n")
        for key in ClientConfigFile.Key.allCases {
            let value = config?[key].map { key == .apiKey ? ClientConfigFile.masked(apiKey: $0) : $0 } ?? "(not set)"
            Terminal.stdout("\(key.commandName.padding(toLength: 9, withPad: " ", startingAt: 0)) \(value)\n")
        }
    }
}

/// `backtest config path`: where the config file is.
struct ConfigPathCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "path", abstract: "Print the config file's path.")

    func run() throws {
        Terminal.stdout(try ConfigCommand.path() + "\n")
    }
}
