import ArgumentParser
import Foundation

@main
struct KeyscanCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "keyscan",
        abstract: "Detects the musical key of audio files (Camelot, Open Key and standard names).",
        version: version,
        subcommands: [Analyze.self, Serve.self, Features.self, Report.self, Mix.self],
        // openkeyscan-analyzer's clients start it with only server options (`-w 1`).
        defaultSubcommand: Serve.self)

    /// keyscan's version, as `--version` prints it and `serve`'s ready message sends it.
    static let version = "0.1.0"

    /// Exit codes: 0 every file analyzed, 1 some failed, 2 the command line or set-up was wrong.
    static func main() {
        // Bare `keyscan` typed at a terminal wants help, not a server waiting for JSON.
        if CommandLine.arguments.count == 1 && isatty(STDIN_FILENO) == 1 {
            print(helpMessage())
            Foundation.exit(0)
        }
        do {
            var command = try parseAsRoot()
            try command.run()
        } catch let code as ExitCode {
            Foundation.exit(code.rawValue)
        } catch {
            let code = exitCode(for: error)
            if code == .success {
                print(fullMessage(for: error))  // --help, --version
                Foundation.exit(0)
            }
            FileHandle.standardError.write(Data("keyscan: \(fullMessage(for: error))\n".utf8))
            Foundation.exit(2)
        }
    }
}

extension ExitCode {
    static let someFilesFailed = ExitCode(1)
    static let usage = ExitCode(2)
}
