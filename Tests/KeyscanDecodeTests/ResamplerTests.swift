import Testing
import KeyscanDecode

/// What the resampler guarantees, seen through the decoder: librosa's mono (the mean
/// of the channels) and soxr HQ rate conversion to 44.1 kHz with no shift in time.
@Suite struct ResamplerTests {
    @Test func monoIsTheMeanOfLeftAndRight() throws {
        let directory = try TemporaryDirectory()
        let path = directory.path("left.wav")
        let tone = sine(440, amplitude: 0.5, sampleRate: 44100, seconds: 0.5)
        try writeWAV(path, sampleRate: 44100, channels: [tone, [Float](repeating: 0, count: tone.count)],
                     encoding: .int16)

        let samples = try decodeAll(path).samples

        // Half amplitude: (L + R) / 2. FFmpeg's default downmix would give 0.707 · L = 0.354.
        #expect(abs(sineAmplitude(samples) - 0.25) < 1e-4)
    }

    @Test func oppositeChannelsCancel() throws {
        let directory = try TemporaryDirectory()
        let path = directory.path("opposite.wav")
        let tone = sine(440, amplitude: 0.5, sampleRate: 44100, seconds: 0.5)
        try writeWAV(path, sampleRate: 44100, channels: [tone, tone.map { -$0 }], encoding: .float32)

        let samples = try decodeAll(path).samples

        #expect(samples.map(abs).max()! < 1e-6)
    }

    @Test func sixChannelsAreAveragedIncludingLFE() throws {
        let directory = try TemporaryDirectory()
        let path = directory.path("surround.wav")
        let tone = sine(440, amplitude: 0.6, sampleRate: 48000, seconds: 0.5)
        let silence = [Float](repeating: 0, count: tone.count)
        // Only channel 4 (LFE in 5.1 order, which FFmpeg's default downmix drops) sounds.
        try writeWAV(path, sampleRate: 48000, channels: [silence, silence, silence, tone, silence, silence],
                     encoding: .int16)

        let (samples, decoder) = try decodeAll(path)

        #expect(decoder.source.channels == 6)
        #expect(samples.count == 22050)
        #expect(abs(sineAmplitude(samples) - 0.1) < 1e-4)
    }

    @Test func highResolutionInputKeepsToneAndLevel() throws {
        let directory = try TemporaryDirectory()
        let path = directory.path("hires.wav")
        let tone = sine(440, amplitude: 0.5, sampleRate: 96000, seconds: 0.5)
        try writeWAV(path, sampleRate: 96000, channels: [tone, tone], encoding: .int24)

        let (samples, decoder) = try decodeAll(path)

        #expect(decoder.source.codec == "pcm_s24le")
        #expect(decoder.source.sampleRate == 96000)
        #expect(samples.count == 22050)
        #expect(abs(zeroCrossingFrequency(samples, sampleRate: 44100) - 440) < 0.01)
        // soxr HQ's passband is flat to well under 0.01 dB at 440 Hz.
        #expect(abs(sineAmplitude(samples) - 0.5) < 1e-4)
    }

    /// A click at t = 1.000 s in a 2 s file must come out at sample 44100 of 88200.
    @Test(arguments: [48000, 8000, 22050, 96000])
    func clickStaysInPlace(sampleRate: Int) throws {
        let directory = try TemporaryDirectory()
        let path = directory.path("click-\(sampleRate).wav")
        var signal = [Float](repeating: 0, count: 2 * sampleRate)
        signal[sampleRate] = 0.9
        try writeWAV(path, sampleRate: sampleRate, channels: [signal], encoding: .float32)

        let samples = try decodeAll(path).samples

        // round(inputSamples · 44100 / inputRate), with the resampler's tail flushed.
        #expect(abs(samples.count - 88200) <= 1)
        let peak = samples.indices.max { abs(samples[$0]) < abs(samples[$1]) }!
        #expect(abs(peak - 44100) <= 2)
    }

    @Test(arguments: [48000, 8000])
    func resampledToneKeepsFrequencyAndLevel(sampleRate: Int) throws {
        let directory = try TemporaryDirectory()
        let path = directory.path("tone-\(sampleRate).wav")
        try writeWAV(path, sampleRate: sampleRate,
                     channels: [sine(440, amplitude: 0.5, sampleRate: sampleRate, seconds: 1)], encoding: .float32)

        let samples = try decodeAll(path).samples

        #expect(samples.count == 44100)
        #expect(abs(zeroCrossingFrequency(samples, sampleRate: 44100) - 440) < 0.01)
        #expect(abs(sineAmplitude(samples) - 0.5) < 1e-4)
    }

    /// A frame far longer in output than a block is converted piece by piece, each piece
    /// starting where the last one stopped in the interleaved input; memory stays at a
    /// block's worth whatever the rate ratio.
    @Test func longLowRateFramesAreConvertedInPieces() throws {
        let directory = try TemporaryDirectory()
        let path = directory.path("low-rate.wav")
        // 1 kHz 16-bit mono: FFmpeg reads 4096-byte packets, 2048 samples (90,316 out), more
        // than the 65,536 / 44.1 = 1,486 input samples a piece may hold at this ratio.
        let tone = sine(100, amplitude: 0.375, sampleRate: 1000, seconds: 3)
        try writeWAV(path, sampleRate: 1000, channels: [tone], encoding: .int16)

        let decoder = try AudioDecoder(path: path)
        var blocks: [[Float]] = []
        while let block = try decoder.nextBlock() { blocks.append(block) }
        let samples = Array(blocks.joined())

        #expect(blocks.allSatisfy { $0.count < 2 * AudioDecoder.preferredBlockSize })
        #expect(abs(samples.count - 3 * 44100) <= 1)
        // A piece read from the wrong offset or stride would break the tone.
        #expect(abs(zeroCrossingFrequency(samples, sampleRate: 44100) - 100) < 0.01)
        #expect(abs(sineAmplitude(samples) - 0.375) < 1e-3)
    }

    /// Below 1 kHz there is no music to read, and libsoxr would hold back all its output
    /// until the end: such a file is refused before anything is decoded.
    @Test(arguments: [999, 1])
    func sampleRatesBelowOneKilohertzAreRefused(rate: Int) throws {
        let directory = try TemporaryDirectory()
        let path = directory.path("rate-\(rate).wav")
        try writeWAV(path, sampleRate: rate, channels: [[Float](repeating: 0.25, count: 4000)], encoding: .int16)

        #expect(throws: DecodeError.decodeFailed(path: path, reason: "sample rate \(rate) Hz, below the 1000 Hz keyscan reads")) {
            try AudioDecoder(path: path)
        }
    }
}
