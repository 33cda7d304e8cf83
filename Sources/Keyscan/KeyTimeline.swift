import Foundation
import KeyscanModel
import KeyscanResults

/// The key timeline: the network's key evidence along the track, decoded into segments.
///
/// KeyNet ends in a global average of a (24 keys, 13 frequency rows, time) map; each time
/// column (8 frames, 1.6 s) of that map, averaged over its rows, is the key logits of the
/// ~13 s of audio around it (`KeyNetStream.columnLogits`), and the track's logits are the
/// mean of all columns. A column alone flickers between related keys, so the columns are
/// decoded with a model of key persistence: a hidden Markov model over the 24 keys whose
/// emissions are each column's log-softmax, where changing key costs `switchPenalty` nats
/// and a key, once entered, lasts at least `resolution` seconds (an explicit-duration
/// Viterbi: each key has a chain of states counting its columns up to that minimum). A
/// modulation is found when the new key's columns out-score the old key's by more than the
/// penalty in total, which a real key change of the minimum length does and a passing
/// chord does not.
///
/// The path only places the boundaries: each segment's key is then the argmax of its
/// columns' mean logits, as the track's key is of all columns, so a track in one segment
/// has exactly the global key, and its confidence is that key's softmax probability.
/// Neighbours that end up in the same key are merged.
public struct KeyTimeline: Sendable, Equatable {
    /// The shortest segment, in seconds: what `--timeline-resolution` sets. Shorter key
    /// areas (a bridge of a few bars) are folded into their surroundings.
    public var resolution: Double
    /// The cost of a key change, in nats of column log-probability.
    public var switchPenalty: Double

    /// The default minimum segment. On held-out POP909 songs (docs/timeline-and-tuning.md;
    /// tools/evaluation/timeline.py) 8, 16 and 32 s scored alike, the penalty
    /// deciding; 16 s keeps a chorus-long key area and drops a passing one.
    public static let defaultResolution = 16.0
    /// The default key-change cost: the lowest of 12–192 nats that kept the single-key
    /// songs in one segment, where lower ones find more of the real changes
    /// (docs/timeline-and-tuning.md).
    /// Each column's log-probabilities are those of ~13 s of overlapping audio, so
    /// neighbouring columns are far from independent, hence a cost this high.
    public static let defaultSwitchPenalty = 64.0

    /// The key-change cost for a model: the one its file declares (tuned with it on
    /// validation songs; the shipped model's), else `defaultSwitchPenalty` (the reference's
    /// weights and models before 2.1.0, whose columns it was chosen for).
    public static func declaredSwitchPenalty(_ config: KeyNetConfig) -> Double {
        config.timelineSwitchPenalty ?? defaultSwitchPenalty
    }

    public static let `default` = KeyTimeline(resolution: defaultResolution, switchPenalty: defaultSwitchPenalty)

    public init(resolution: Double, switchPenalty: Double = KeyTimeline.defaultSwitchPenalty) {
        self.resolution = resolution
        self.switchPenalty = switchPenalty
    }

    /// The segments of a track whose columns' logits are `columnLogits` (columns, 24),
    /// each column `columnSeconds` long from 0; the last segment ends at `duration`, which
    /// takes in the frames after the last whole column. No segment for no column.
    /// `temperature` is the model's calibration temperature: segment confidences are
    /// calibrated as the track's is, so a one-segment track's equals its confidence.
    public func segments(columnLogits: [Float], columnSeconds: Double, duration: Double,
                         temperature: Float = 1) -> [KeySegment] {
        let classes = MusicalKey.all.count
        precondition(columnLogits.count % classes == 0, "KeyTimeline: \(columnLogits.count) values are not whole columns")
        let columns = columnLogits.count / classes
        guard columns > 0 else { return [] }
        let minimum = max(1, Int((resolution / columnSeconds).rounded()))
        let labels = columns < 2 * minimum
            ? [Int](repeating: 0, count: columns)   // no room for two segments: one, keyed below
            : viterbi(logProbabilities: Self.logSoftmax(columnLogits, columns: columns), columns: columns, minimum: minimum)

        // Runs of one label, each re-keyed by its mean logits, then equal neighbours merged.
        var runs: [(first: Int, end: Int, key: Int)] = []
        var first = 0
        for j in 1...columns where j == columns || labels[j] != labels[first] {
            let key = Self.meanLogits(columnLogits, first..<j).enumerated().max { $0.element < $1.element }!.offset
            if let last = runs.last, last.key == key {
                runs[runs.count - 1].end = j
            } else {
                runs.append((first, j, key))
            }
            first = j
        }
        return runs.enumerated().map { n, run in
            let estimate = KeyEstimate(logits: Self.meanLogits(columnLogits, run.first..<run.end), temperature: temperature)
            let key = MusicalKey(index: run.key)!
            return KeySegment(start: n == 0 ? 0 : Double(run.first) * columnSeconds,
                              end: n == runs.count - 1 ? max(duration, Double(run.end) * columnSeconds) : Double(run.end) * columnSeconds,
                              key: key, confidence: estimate.probabilities[key.index])
        }
    }

    /// The most probable key per column under the persistence model.
    ///
    /// States (key k, i): k entered i + 1 columns ago, i < `minimum` − 1, or at least
    /// `minimum` columns ago (i = `minimum` − 1, the only state that may change key). The
    /// path must start and end in a complete segment. Back-pointers are 2 bytes per key and
    /// column (48 bytes per 1.6 s, 650 KB for 6 hours), whatever the minimum: within a
    /// key's chain the predecessor is implied.
    func viterbi(logProbabilities e: [Double], columns: Int, minimum: Int) -> [Int] {
        let classes = MusicalKey.all.count, last = minimum - 1
        // score(k, i), k-major; −∞ for states not reachable yet.
        var score = [Double](repeating: -.infinity, count: classes * minimum)
        var next = score
        // Per column and key: the key a segment entered there came from; whether the
        // complete state came from itself (true) or from its chain's previous state.
        var cameFrom = [UInt8](repeating: 0, count: columns * classes)
        var stayed = [Bool](repeating: false, count: columns * classes)
        for k in 0..<classes { score[k * minimum] = e[k] }
        for j in 1..<columns {
            // The two best complete states, so each key finds its best other key in O(1).
            var best = (key: 0, score: -Double.infinity), second = best
            for k in 0..<classes {
                let s = score[k * minimum + last]
                if s > best.score { second = best; best = (k, s) } else if s > second.score { second = (k, s) }
            }
            for k in 0..<classes {
                let from = best.key != k ? best : second
                let entered = from.score - switchPenalty
                cameFrom[j * classes + k] = UInt8(from.key)
                let row = k * minimum
                if minimum == 1 {
                    let stay = score[row]
                    stayed[j * classes + k] = stay >= entered
                    next[row] = max(stay, entered)
                } else {
                    next[row] = entered
                    for i in stride(from: last, to: 0, by: -1) where i < last { next[row + i] = score[row + i - 1] }
                    let stay = score[row + last]
                    stayed[j * classes + k] = stay >= score[row + last - 1]
                    next[row + last] = max(stay, score[row + last - 1])
                }
                for i in 0..<minimum { next[row + i] += e[j * classes + k] }
            }
            swap(&score, &next)
        }
        var key = (0..<classes).max { score[$0 * minimum + last] < score[$1 * minimum + last] }!
        var state = last
        var labels = [Int](repeating: 0, count: columns)
        for j in stride(from: columns - 1, through: 0, by: -1) {
            labels[j] = key
            guard j > 0 else { break }
            if state == last && stayed[j * classes + key] {
                continue
            } else if state > 0 {
                state -= 1
            } else {
                key = Int(cameFrom[j * classes + key])
                state = last
            }
        }
        return labels
    }

    /// (columns, 24) logits → log-softmax per column, in double precision.
    static func logSoftmax(_ logits: [Float], columns: Int) -> [Double] {
        let classes = MusicalKey.all.count
        var out = [Double](repeating: 0, count: logits.count)
        for j in 0..<columns {
            let row = logits[(j * classes)..<((j + 1) * classes)].map(Double.init)
            let top = row.max()!
            let logSum = top + log(row.reduce(0) { $0 + exp($1 - top) })
            for k in 0..<classes { out[j * classes + k] = row[k] - logSum }
        }
        return out
    }

    /// The mean logits (24) of `range`'s columns.
    static func meanLogits(_ logits: [Float], _ range: Range<Int>) -> [Float] {
        let classes = MusicalKey.all.count
        var sums = [Double](repeating: 0, count: classes)
        for j in range { for k in 0..<classes { sums[k] += Double(logits[j * classes + k]) } }
        return sums.map { Float($0 / Double(range.count)) }
    }
}
