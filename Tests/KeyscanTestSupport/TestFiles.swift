import Foundation

/// What becomes of the files tests make.
public enum TestFiles {
    /// With KEYSCAN_TEST_KEEP_FILES=1 the tests leave every file they make in their temporary
    /// folders (under $TMPDIR), for tools/census/decode_census.py to run over the audio the
    /// tests synthesise. Read here and nowhere else.
    public static let keepVariable = "KEYSCAN_TEST_KEEP_FILES"
    static let keep = ProcessInfo.processInfo.environment[keepVariable] == "1"

    /// Removes a test's temporary file or folder, unless the files are kept.
    public static func remove(_ url: URL) {
        guard !keep else { return }
        try? FileManager.default.removeItem(at: url)
    }
}
