import Foundation
import KeyscanTestSupport

// Files the tag tests make for themselves, encoded by the ffmpeg CLI (only tests run it).

/// A fresh temporary folder, removed when the value goes away.
final class TemporaryFolder {
    let url: URL

    init() throws {
        url = FileManager.default.temporaryDirectory.appendingPathComponent("keyscan-tags-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
    }

    deinit {
        // A test may leave a read-only folder behind; make it removable first.
        try? FileManager.default.setAttributes([.posixPermissions: 0o755], ofItemAtPath: url.path)
        TestFiles.remove(url)
    }

    func path(_ name: String) -> String { url.appendingPathComponent(name).path }

    /// Names in the folder, hidden ones included, sorted.
    var names: [String] { ((try? FileManager.default.contentsOfDirectory(atPath: url.path)) ?? []).sorted() }
}

struct CommandError: Error, CustomStringConvertible {
    let description: String
}

/// Runs `tool` (ffmpeg, ffprobe) and returns its stdout; throws with its stderr on failure.
@discardableResult
func run(_ tool: String, _ arguments: [String]) throws -> String {
    let process = Process()
    process.executableURL = URL(fileURLWithPath: "/usr/bin/" + tool)
    process.arguments = arguments
    let out = Pipe(), err = Pipe()
    process.standardOutput = out
    process.standardError = err
    process.standardInput = FileHandle.nullDevice
    try process.run()
    // Read stderr beside stdout, so a full pipe never blocks the tool.
    nonisolated(unsafe) var errors = Data()
    let group = DispatchGroup()
    group.enter()
    DispatchQueue.global().async {
        errors = err.fileHandleForReading.readDataToEndOfFile()
        group.leave()
    }
    let output = out.fileHandleForReading.readDataToEndOfFile()
    process.waitUntilExit()
    group.wait()
    guard process.terminationStatus == 0 else {
        throw CommandError(description: "\(tool) \(arguments.joined(separator: " ")): "
                           + String(decoding: errors, as: UTF8.self))
    }
    return String(decoding: output, as: UTF8.self)
}

/// The containers keyscan tags, with the ffmpeg arguments that make each.
let containers: [(file: String, codec: [String])] = [
    ("a.mp3", ["-c:a", "libmp3lame", "-b:a", "128k"]),
    ("a.aiff", ["-c:a", "pcm_s16be"]),
    ("a.wav", ["-c:a", "pcm_s16le"]),
    ("a.flac", ["-c:a", "flac"]),
    ("a.ogg", ["-c:a", "libvorbis"]),
    ("a.opus", ["-c:a", "libopus"]),
    ("a.m4a", ["-c:a", "aac"]),
    ("a.wma", ["-c:a", "wmav2"]),
]

/// Every file the tag tests start from: one second of a two-tone chord in each container,
/// and the odd cases. One ffmpeg process makes them all (a process costs about 0.1 s of CPU)
/// into a folder removed at exit; tests copy the files they change.
enum Fixtures {
    static let others: [(file: String, codec: [String])] = [
        ("key.flac", ["-c:a", "flac", "-metadata", "KEY=Dm"]),
        ("initialkey.flac", ["-c:a", "flac", "-metadata", "INITIALKEY=Am"]),
        ("old.mp3", ["-c:a", "libmp3lame", "-id3v2_version", "3", "-metadata", "title=Song", "-metadata", "artist=Band"]),
        ("info.wav", ["-c:a", "pcm_s16le", "-metadata", "title=Song"]),
        ("flac.mka", ["-c:a", "flac"]),
        ("a.wv", ["-c:a", "wavpack"]),
    ]

    static let folder = FileManager.default.temporaryDirectory.appendingPathComponent("keyscan-tags-fixtures-\(getpid())").path

    private static let made: Result<Void, Error> = Result {
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        atexit { TestFiles.remove(URL(fileURLWithPath: Fixtures.folder)) }
        let outputs = (containers + others).flatMap { ["-map", "0:a"] + $0.codec + [folder + "/" + $0.file] }
        try run("ffmpeg", ["-nostdin", "-v", "error", "-y", "-f", "lavfi",
                           "-i", "aevalsrc=0.3*sin(2*PI*220*t)+0.2*sin(2*PI*277.18*t):s=44100:c=stereo:d=1"] + outputs)
    }

    /// A fresh copy of fixture `name` in `folder`, named `as`; its path.
    static func copy(_ name: String, to folder: TemporaryFolder, as copyName: String? = nil) throws -> String {
        try made.get()
        let path = folder.path(copyName ?? name)
        try FileManager.default.copyItem(atPath: Self.folder + "/" + name, toPath: path)
        return path
    }
}

func bytes(_ path: String) throws -> Data { try Data(contentsOf: URL(fileURLWithPath: path)) }

func mode(_ path: String) throws -> Int {
    (try FileManager.default.attributesOfItem(atPath: path)[.posixPermissions] as? NSNumber)?.intValue ?? -1
}
