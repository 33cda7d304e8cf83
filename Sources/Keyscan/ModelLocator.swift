import Foundation

/// Finds the default model when `--model` is not given.
public enum ModelLocator {
    public static let fileName = "keyscan.safetensors"

    /// Places searched, in order: `$KEYSCAN_MODEL`; `Weights/keyscan.safetensors` in the
    /// executable's folder or any folder above it (a checkout running `.build/release/keyscan`);
    /// `../share/keyscan/keyscan.safetensors` beside the executable (an installed copy).
    public static func candidates(environment: [String: String] = ProcessInfo.processInfo.environment,
                                  executable: URL = runningExecutable) -> [String] {
        var list: [String] = []
        if let explicit = environment["KEYSCAN_MODEL"], !explicit.isEmpty { list.append(explicit) }
        var folder = executable.resolvingSymlinksInPath().deletingLastPathComponent().standardizedFileURL
        while true {
            list.append(folder.appendingPathComponent("Weights").appendingPathComponent(fileName).path)
            let parent = folder.deletingLastPathComponent()
            if parent.path == folder.path { break }
            folder = parent
        }
        let bin = executable.resolvingSymlinksInPath().deletingLastPathComponent()
        list.append(bin.deletingLastPathComponent().appendingPathComponent("share/keyscan/\(fileName)").standardizedFileURL.path)
        return list
    }

    /// The running executable's file. Not `argv[0]`: a command found on PATH is started as
    /// plain `keyscan`, which names no folder (Foundation reads /proc/self/exe on Linux).
    public static var runningExecutable: URL {
        Bundle.main.executableURL ?? URL(fileURLWithPath: CommandLine.arguments[0])
    }

    /// The first candidate that exists, or nil.
    public static func defaultModel() -> String? {
        candidates().first { FileManager.default.fileExists(atPath: $0) }
    }

    /// What to tell a user who has no model.
    public static let missingModelAdvice = """
        no model found: keyscan looks for Weights/\(fileName) beside or above the keyscan \
        executable, then ../share/keyscan/\(fileName). Pass one with --model PATH, or set \
        KEYSCAN_MODEL. A KeyNet checkpoint from PyTorch converts with \
        `tools/training/convert_keynet.py IN.pt OUT.safetensors` (see docs/weights-and-tools.md).
        """
}
