import Foundation
import KeyscanCQT
import Testing
@testable import KeyscanModel

/// The network fed frame by frame gives exactly the logits of the whole spectrogram.
@Suite struct KeyNetStreamTests {
    init() { setBLASThreadCount(1) }

    /// `spectrogram`'s frames, frame-major, cut into pieces of the given sizes in turn.
    static func pieces(_ spectrogram: Spectrogram, sizes: [Int]) -> [[Float]] {
        var out: [[Float]] = []
        var t = 0, i = 0
        while t < spectrogram.frames {
            let n = min(sizes[i % sizes.count], spectrogram.frames - t)
            out.append((t..<(t + n)).flatMap { f in (0..<spectrogram.bins).map { spectrogram[bin: $0, frame: f] } })
            t += n
            i += 1
        }
        return out
    }

    /// Track lengths around tile and halo boundaries, pieces from 1 frame to several tiles,
    /// one and two workspaces; tiles of 64 frames, so that even short tracks have several.
    @Test(arguments: [10, 21, 66, 130, 330, 1000])
    func bitIdenticalToTheWholeSpectrogram(frames: Int) throws {
        let model = try randomKeyNet(nf: 4, seed: 5)
        let spectrogram = randomSpectrogram(frames: frames, seed: UInt64(frames))
        let kept = Spectrogram(bins: 105, frames: frames - 2,
                           values: (0..<105).flatMap { b in (0..<(frames - 2)).map { spectrogram[bin: b, frame: $0] } })
        for threads in [1, 2] {
            let workspaces = (0..<threads).map { _ in KeyNetWorkspace(for: model, tileFrames: 64) }
            let whole = try model.logits(for: kept, workspaces: workspaces)
            for sizes in [[1], [32], [7, 100, 3], [2000]] {
                let stream = KeyNetStream(model: model, workspaces: workspaces, droppedFrames: 2)
                for piece in Self.pieces(spectrogram, sizes: sizes) { stream.append(frameMajor: piece) }
                #expect(try stream.finish() == whole, "\(frames) frames in pieces of \(sizes), \(threads) threads")
            }
        }
    }

    /// One column of logits per 8 frames kept, in track order, whose mean is the global
    /// logits; the same however the frames arrive and however many threads run the tiles.
    @Test(arguments: [10, 130, 1000])
    func columnLogitsAverageToTheGlobalLogits(frames: Int) throws {
        let model = try randomKeyNet(nf: 4, seed: 5)
        let spectrogram = randomSpectrogram(frames: frames, seed: UInt64(frames))
        var first: [Float]?
        for (threads, sizes) in [(1, [1]), (2, [7, 100, 3]), (1, [2000])] {
            let workspaces = (0..<threads).map { _ in KeyNetWorkspace(for: model, tileFrames: 64) }
            let stream = KeyNetStream(model: model, workspaces: workspaces, droppedFrames: 2)
            for piece in Self.pieces(spectrogram, sizes: sizes) { stream.append(frameMajor: piece) }
            let logits = try stream.finish()
            let columns = (frames - 2) / 8
            #expect(stream.columnLogits.count == columns * 24)
            for c in 0..<24 {
                let mean = (0..<columns).reduce(0.0) { $0 + Double(stream.columnLogits[$1 * 24 + c]) } / Double(columns)
                // Column means are rounded to Float once each: 1e-5 of the logits' scale.
                #expect(abs(mean - Double(logits[c])) <= 1e-5 * max(1, abs(Double(logits[c]))), "class \(c)")
            }
            if let first { #expect(stream.columnLogits == first) } else { first = stream.columnLogits }
        }
    }

    @Test func tooShortAfterTheDroppedFrames() throws {
        let model = try randomKeyNet(nf: 4, seed: 5)
        let stream = KeyNetStream(model: model, workspaces: [KeyNetWorkspace(for: model)], droppedFrames: 2)
        stream.append(frameMajor: [Float](repeating: 0.5, count: 9 * 105))
        #expect(throws: ModelError.inputTooShort(frames: 7, minimum: 8)) { try stream.finish() }
    }

    /// The window keeps what the next tiles need and no more, however long the track.
    @Test func windowStaysBoundedOnALongTrack() throws {
        let model = try randomKeyNet(nf: 4, seed: 5)
        let workspace = KeyNetWorkspace(for: model, tileFrames: 64)
        let stream = KeyNetStream(model: model, workspaces: [workspace], droppedFrames: 2)
        let piece = randomSpectrogram(frames: 32, seed: 1)
        let frameMajor = Self.pieces(piece, sizes: [32])[0]
        for _ in 0..<200 { stream.append(frameMajor: frameMajor) }  // 6400 frames, 21 minutes
        #expect(stream.windowCapacity <= 64 + 2 * model.config.tileHalo + 64, "window of \(stream.windowCapacity) frames")
        #expect(try stream.finish().count == 24)
    }
}
