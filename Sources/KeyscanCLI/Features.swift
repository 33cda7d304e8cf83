import ArgumentParser
import Foundation
import Keyscan
import KeyscanCQT
import KeyscanResults

/// `keyscan features`: the model's input for each file, as NumPy arrays. The training
/// tools call it, so a model learns from exactly what `analyze` will show it.
struct Features: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Write each file's log-CQT spectrogram (the model's input) as a .npy file.",
        discussion: """
            Each FILE becomes OUT/<name>.npy, float32 of shape (105, frames): log(1 + |CQT|), \
            105 bins of 24 per octave from 65 Hz, 5 frames/s, the last two frames dropped, as \
            `analyze` feeds the model: on the fast front end (11.025 kHz, MP3 through libmpg123), \
            the shipped model's, unless --exact asks for librosa's exact numbers (the reference's \
            weights). One JSON line per file on stdout says what was written \
            or why not. Needs no model. Exit status as for analyze.
            """)

    @OptionGroup var options: BatchOptions

    @Option(help: ArgumentHelp("Folder for the .npy files (created if needed).", valueName: "folder"))
    var out: String

    @OptionGroup var frontEndOptions: FrontEndOptions

    func run() throws {
        let extractor: FeatureExtractor
        do { extractor = try FeatureExtractor(frontEnd: frontEndOptions.exact ? .exact : .fast,
                                                      oggVorbis: Analyze.oggVorbisDecoding()) }
        catch { throw ValidationError("\(error)") }
        try FileManager.default.createDirectory(atPath: out, withIntermediateDirectories: true)
        let files = try options.files()
        let names = files.map { (($0 as NSString).lastPathComponent as NSString).deletingPathExtension + ".npy" }
        if Set(names).count != names.count { throw ValidationError("two input files share a name; --out would overwrite one") }
        let failures = Locked(0)
        let folder = URL(fileURLWithPath: out)
        options.batch(PathSource(files: files)).run(prepare: { threads in threads }, work: { path, threads -> JSONValue in
            let target = folder.appendingPathComponent(((path as NSString).lastPathComponent as NSString).deletingPathExtension + ".npy")
            do {
                let spectrogram = try extractor.modelInput(path: path, threads: threads)
                try NPY.data(spectrogram).write(to: target)
                return JSONValue.object([("path", .string(path)), ("status", .string("ok")),
                                         ("output", .string(target.path)), ("frames", .int(spectrogram.frames))])
            } catch let error as AnalysisError {
                return Self.failure(path, code: error.code, message: error.message)
            } catch {
                return Self.failure(path, code: "write_failed", message: "\(target.path): \(error.localizedDescription)")
            }
        }, deliver: { _, line in
            if case .object(let fields) = line, fields.contains(where: { $0.0 == "error" }) { failures.mutate { $0 += 1 } }
            FileHandle.standardOutput.write(Data((line.serialized + "\n").utf8))
        })
        if failures.value > 0 { throw ExitCode.someFilesFailed }
    }
}

extension Features {
    static func failure(_ path: String, code: String, message: String) -> JSONValue {
        .object([("path", .string(path)), ("status", .string("error")),
                 ("error", .object([("code", .string(code)), ("message", .string(message))]))])
    }
}

/// NumPy's .npy format, version 1.0: magic, header dict padded to 64 bytes, raw
/// little-endian float32 data (this machine's byte order: x86-64 and arm64 are little-endian).
enum NPY {
    static func data(_ spectrogram: Spectrogram) -> Data {
        var header = "{'descr': '<f4', 'fortran_order': False, 'shape': (\(spectrogram.bins), \(spectrogram.frames)), }"
        let unpadded = 10 + header.utf8.count + 1
        header += String(repeating: " ", count: (64 - unpadded % 64) % 64) + "\n"
        var data = Data([0x93] + Array("NUMPY".utf8) + [1, 0])
        withUnsafeBytes(of: UInt16(header.utf8.count).littleEndian) { data.append(contentsOf: $0) }
        data.append(contentsOf: Array(header.utf8))
        spectrogram.values.withUnsafeBufferPointer { data.append(UnsafeBufferPointer(start: $0.baseAddress, count: $0.count)) }
        return data
    }
}
