/// A growing window onto a stream of samples: appended at the end, dropped from the front
/// once no frame needs them, so memory stays bounded whatever the track's length.
struct SampleBuffer {
    private var storage: [Float] = []
    /// Absolute index of `storage[0]` in the stream.
    private var origin = 0
    /// Samples appended so far.
    var end: Int { origin + storage.count }

    mutating func append(contentsOf samples: some Collection<Float>) {
        storage.append(contentsOf: samples)
    }

    /// Forgets samples before `index`; compacts only when that frees a large share, so the
    /// cost stays linear in the stream length.
    mutating func discard(before index: Int) {
        let dead = min(index - origin, storage.count)
        if dead >= 1 << 16, dead * 2 >= storage.count {
            storage.removeFirst(dead)
            origin += dead
        }
    }

    /// Copies samples [start, start + count) into `destination`, with zeros before the
    /// stream's start and after its end (the transform's centre padding).
    func copy(from start: Int, count: Int, into destination: UnsafeMutableBufferPointer<Float>) {
        let lo = max(start, 0), hi = min(start + count, end)
        precondition(lo >= hi || lo >= origin, "SampleBuffer: samples before \(origin) were discarded")
        guard lo < hi else {
            destination.update(repeating: 0)
            return
        }
        let head = lo - start, body = hi - lo
        if head > 0 { UnsafeMutableBufferPointer(rebasing: destination[0..<head]).update(repeating: 0) }
        storage.withUnsafeBufferPointer { source in
            let from = UnsafeBufferPointer(rebasing: source[(lo - origin)..<(hi - origin)])
            _ = UnsafeMutableBufferPointer(rebasing: destination[head..<(head + body)]).update(fromContentsOf: from)
        }
        if head + body < count {
            UnsafeMutableBufferPointer(rebasing: destination[(head + body)..<count]).update(repeating: 0)
        }
    }
}
