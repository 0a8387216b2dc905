import BacktestAPI
import Foundation

/// Runs a discovery command (`/bin/sh -c COMMAND`) with a timeout and returns its standard
/// output. A command that outlives the timeout is killed.
public struct DiscoveryCommand: Sendable {
    /// The shell command line.
    public var command: String
    /// The longest the command may run, in seconds.
    public var timeout: Double

    /// Creates a discovery command.
    public init(command: String, timeout: Double) {
        self.command = command
        self.timeout = timeout
    }

    /// Runs the command; throws when it cannot start, times out, or exits non-zero.
    public func run() async throws(BacktestClientError) -> String {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/bin/sh")
        process.arguments = ["-c", command]
        let output = Pipe()
        process.standardOutput = output
        process.standardError = FileHandle.nullDevice
        process.standardInput = FileHandle.nullDevice
        do {
            try process.run()
        } catch {
            throw BacktestClientError(code: .discoveryFailed, message: "cannot run discovery command '\(command)': \(error)")
        }
        let reader = output.fileHandleForReading
        let fd = reader.fileDescriptor
        _ = fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK)
        var collected: [UInt8] = []
        let clock = ContinuousClock()
        let deadline = clock.now + .milliseconds(Int(timeout * 1000))
        var timedOut = false
        while true {
            drain(fd, into: &collected)
            if !process.isRunning { break }
            if clock.now >= deadline {
                timedOut = true
                break
            }
            do {
                try await Task.sleep(for: .milliseconds(10))
            } catch {
                kill(process)
                throw BacktestClientError(code: .cancelled, message: "discovery cancelled")
            }
        }
        if timedOut {
            kill(process)
            try? reader.close()
            throw BacktestClientError(
                code: .discoveryTimeout,
                message: "discovery command '\(command)' did not finish within \(Self.format(timeout)) s"
            )
        }
        drain(fd, into: &collected)
        try? reader.close()
        let text = String(decoding: collected, as: UTF8.self)
        guard process.terminationStatus == 0 else {
            throw BacktestClientError(
                code: .discoveryFailed,
                message: "discovery command '\(command)' exited with status \(process.terminationStatus)"
            )
        }
        return text
    }

    private func drain(_ fd: Int32, into bytes: inout [UInt8]) {
        var buffer = [UInt8](repeating: 0, count: 4096)
        while bytes.count < 1 << 20 {
            let n = buffer.withUnsafeMutableBytes { read(fd, $0.baseAddress, $0.count) }
            if n <= 0 { return }
            bytes.append(contentsOf: buffer[0..<n])
        }
    }

    private func kill(_ process: Process) {
        guard process.isRunning else { return }
        process.terminate()
        let pid = process.processIdentifier
        if pid > 0 { _ = Foundation.kill(pid, SIGKILL) }
    }

    static func format(_ seconds: Double) -> String {
        seconds.rounded() == seconds ? String(Int(seconds)) : String(seconds)
    }
}
