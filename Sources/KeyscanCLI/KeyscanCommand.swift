import ArgumentParser
import Foundation

@main
struct KeyscanCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "keyscan",
        abstract: "Detects the musical key of audio files (Camelot, Open Key and standard names).",
        version: "0.1.0",
        subcommands: [Analyze.self, Features.self])

    /// Exit codes: 0 every file analyzed, 1 some failed, 2 the command line or set-up was wrong.
    static func main() {
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
