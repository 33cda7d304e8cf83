import Foundation
import Testing

/// `keyscan features`: what the training tools read.
@Suite struct FeaturesCommandTests {
    @Test func writesTheModelInputAsNumPy() throws {
        let folder = try TemporaryFolder()
        try TestAudio.writeWAV(folder.path("cadence.wav"), mono: TestAudio.cadence(tonic: 2, minor: false, seconds: 4))
        try Data("no".utf8).write(to: folder.path("bad.wav"))
        let out = folder.path("features")
        let run = try KeyscanRun.run(["features", "--out", out.path, folder.url.path], environment: ["KEYSCAN_MODEL": "/nonexistent"])
        #expect(run.status == 1, "bad.wav failed")
        let lines = run.stdout.split(separator: "\n").compactMap { try? JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any] }
        #expect(lines.count == 2)
        let ok = try #require(lines.first { $0["status"] as? String == "ok" })
        // 4 s at 5 frames/s: 1 + 176400 // 8820 = 21 frames, less the 2 the model never sees.
        #expect(ok["frames"] as? Int == 19)

        let data = try Data(contentsOf: out.appendingPathComponent("cadence.npy"))
        #expect(data.prefix(6) == Data([0x93] + Array("NUMPY".utf8)))
        let headerLength = Int(data[8]) | Int(data[9]) << 8
        #expect((10 + headerLength) % 64 == 0, "NumPy aligns the data to 64 bytes")
        let header = String(decoding: data[10..<(10 + headerLength)], as: UTF8.self)
        #expect(header.contains("'descr': '<f4'"))
        #expect(header.contains("'shape': (105, 19)"))
        let values = data.dropFirst(10 + headerLength).withUnsafeBytes { Array($0.bindMemory(to: Float.self)) }
        #expect(values.count == 105 * 19)
        #expect(values.allSatisfy { $0 >= 0 && $0.isFinite }, "log(1 + |C|) is never negative")
        #expect(values.max()! > 0.1)
    }

    /// One file at a time on a machine of two cores or more, an MP3 is decoded on two threads
    /// (`MP3Split`); two at a time on two cores, in order: the features are the same bytes.
    @Test func theSameFeaturesWhateverTheJobs() throws {
        let folder = try TemporaryFolder()
        let wav = folder.path("cadence.wav")
        try TestAudio.writeWAV(wav, mono: TestAudio.cadence(tonic: 7, minor: true, seconds: 20))
        let songs = folder.path("songs")
        try FileManager.default.createDirectory(at: songs, withIntermediateDirectories: true)
        try TestAudio.encode(wav, outputs: [(songs.appendingPathComponent("a.mp3"), ["-c:a", "libmp3lame", "-b:a", "128k"]),
                                            (songs.appendingPathComponent("b.mp3"), ["-c:a", "libmp3lame", "-q:a", "2"])])
        var outputs: [[Data]] = []
        for jobs in ["1", "2"] {
            let out = folder.path("features-\(jobs)")
            let run = try KeyscanRun.run(["features", "--jobs", jobs, "--out", out.path, songs.path],
                                         environment: ["KEYSCAN_MODEL": "/nonexistent"])
            #expect(run.status == 0, "\(run.stderr)")
            outputs.append(try ["a.npy", "b.npy"].map { try Data(contentsOf: out.appendingPathComponent($0)) })
        }
        #expect(outputs[0] == outputs[1])
    }
}
