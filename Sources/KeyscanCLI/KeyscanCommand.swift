import ArgumentParser
import Foundation
import Keyscan

@main
struct KeyscanCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "keyscan",
        abstract: "Detects the musical key of audio files (Camelot, Open Key and standard names).",
        discussion: """
            keyscan analyze prints each file's key as JSON, JSON lines or CSV, with a key \
            timeline and the track's tuning; keyscan serve answers openkeyscan-analyzer's NDJSON \
            protocol on stdin and stdout (and is what a bare keyscan starts when stdin is not a \
            terminal); keyscan report draws a library's results as one HTML page; keyscan mix \
            suggests what to play next and orders playlists by key; keyscan features writes \
            the network's input for training tools. \
            The model is --model PATH, else $KEYSCAN_MODEL, else Weights/keyscan.safetensors \
            beside or above the executable, else ../share/keyscan/keyscan.safetensors beside it \
            (/usr/share/keyscan/keyscan.safetensors when installed from the package). Results \
            are cached in $XDG_CACHE_HOME/keyscan/results.sqlite (default \
            ~/.cache/keyscan/results.sqlite). PROFILE_PERFORMANCE=1 prints per-stage timings on \
            stderr. keyscan --version --verbose also names the model and the libraries in use. \
            Exit status: 0 when every file was analyzed, 1 when some failed, 2 for a usage or \
            set-up error.
            """,
        version: KeyscanVersion.current,
        subcommands: [Analyze.self, Serve.self, Features.self, Report.self, Mix.self],
        // openkeyscan-analyzer's clients start it with only server options (`-w 1`).
        defaultSubcommand: Serve.self)

    /// Exit codes: 0 every file analyzed, 1 some failed, 2 the command line or set-up was wrong.
    static func main() {
        // Bare `keyscan` typed at a terminal wants help, not a server waiting for JSON.
        if CommandLine.arguments.count == 1 && isatty(STDIN_FILENO) == 1 {
            print(helpMessage())
            Foundation.exit(0)
        }
        if let verbose = VersionReport.requested(by: Array(CommandLine.arguments.dropFirst())) {
            print(VersionReport.lines(verbose: verbose).joined(separator: "\n"))
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
