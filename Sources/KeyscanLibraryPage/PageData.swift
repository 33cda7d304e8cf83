import Foundation
import KeyscanMix
import KeyscanResults

/// The page's data: compact JSON the script reads once.
///
///     {"folders": ["/music/house", …],
///      "tracks": [[folder, name, key, confidence‰, tuning (0.1 cent or null), duration (0.1 s),
///                  segments, mixes], …],
///      "nokey": [[path, code, message], …], "failed": [[path, code, message], …]}
///
/// Keys are class indices (0…11 = 1A…12A, 12…23 = 1B…12B). `segments` is flat, three
/// numbers a segment (end in 0.1 s, key, confidence ‰; each starts where the last ended),
/// and empty for a track in one key (its segment is the track's key). `mixes` is flat too,
/// three numbers a suggestion: the track's index, a code (the move's rank 0…5 as in
/// `Move.allCases`, +8 tuning warning, +16 low confidence) and the key the incoming track
/// sounds in against this one's tuning.
struct PageData {
    let results: [AnalysisResult]
    let mixLimit: Int

    var json: String {
        let analyzed = results.compactMap { result -> (AnalysisResult, MixTrack)? in MixTrack(result).map { (result, $0) } }
        let library = MixLibrary(analyzed.map(\.1))
        let indexByPath = Dictionary(analyzed.enumerated().map { ($1.1.path, $0) }, uniquingKeysWith: { first, _ in first })
        var folders: [String: Int] = [:]
        var folderNames: [String] = []
        var tracks: [String] = []
        tracks.reserveCapacity(analyzed.count)
        for (result, track) in analyzed {
            let folder = (result.path as NSString).deletingLastPathComponent
            let folderIndex = folders[folder] ?? {
                folderNames.append(folder)
                folders[folder] = folderNames.count - 1
                return folderNames.count - 1
            }()
            guard case .success(let estimate, let duration) = result.outcome else { continue }
            let segments = result.segments.count > 1
                ? result.segments.flatMap { [tenths($0.end), $0.key.index, permille($0.confidence)] } : []
            let mixes = library.suggestions(after: track, limit: mixLimit).flatMap { transition -> [Int] in
                let code = transition.move!.rank + (transition.tuningWarning ? 8 : 0)
                    + (transition.isLowConfidence ? 16 : 0)
                return [indexByPath[transition.to.path]!, code, transition.incomingKey.index]
            }
            tracks.append("[\(folderIndex),\(Self.string((result.path as NSString).lastPathComponent)),\(estimate.key.index),"
                + "\(permille(estimate.confidence)),\(result.tuning.map { String(tenths($0.cents)) } ?? "null"),\(tenths(duration)),"
                + "[\(Self.list(segments))],[\(Self.list(mixes))]]")
        }
        var nokey: [String] = [], failed: [String] = []
        for result in results {
            switch result.outcome {
            case .success: break
            case .noKey(let code, let message, _): nokey.append(Self.problem(result.path, code, message))
            case .failure(let code, let message): failed.append(Self.problem(result.path, code, message))
            }
        }
        let text = "{\"folders\":[\(folderNames.map(Self.string).joined(separator: ","))],\n\"tracks\":[\n"
            + tracks.joined(separator: ",\n") + "],\n\"nokey\":[\(nokey.joined(separator: ",\n"))],\n\"failed\":[\(failed.joined(separator: ",\n"))]}"
        // Inside <script>, "</script" or "<!--" in a name would end or confuse the element:
        // every < is written as its JSON escape (it can only occur inside strings).
        return text.replacingOccurrences(of: "<", with: "\\u003c")
    }

    func tenths(_ value: Double) -> Int { Int((value * 10).rounded()) }
    func permille(_ value: Double) -> Int { Int((value * 1000).rounded()) }

    static func list(_ numbers: [Int]) -> String { numbers.map(String.init).joined(separator: ",") }
    static func string(_ text: String) -> String { JSONValue.string(text).serialized }
    static func problem(_ path: String, _ code: String, _ message: String) -> String {
        "[\(string(path)),\(string(code)),\(string(message))]"
    }
}
