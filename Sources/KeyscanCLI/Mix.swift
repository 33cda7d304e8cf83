import ArgumentParser
import Foundation
import KeyscanMix
import KeyscanResults

enum MixFormat: String, ExpressibleByArgument, CaseIterable {
    case text, json
}

/// `keyscan mix`: what to play after a track, or a playlist in a better order.
struct Mix: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Suggest the library's best next tracks for a track, or reorder a playlist for harmonic mixing.",
        discussion: """
            A transition from track A to track B is judged on A's last key and B's first (the \
            key timeline's ends), after tuning: B's key is transposed by the whole semitones \
            their tunings differ by, and a remainder over 20 cents is warned about. Moves: \
            same key, +1, -1, relative, and the energy moves +2 and +7 (marked). Suggestions \
            are ranked by move, then tuning, then confidence. With --order, the playlist's \
            entries (with their #EXTINF lines) are written to stdout in an order with as many \
            compatible transitions (same key, ±1, relative) as the heuristic finds, entries the \
            library has no key for kept last; stderr says how many before and after. The library is results files (--library) or, without \
            them, everything the result cache holds. Exit status: 0 done, 2 for a usage or \
            set-up error (a file missing or malformed, a track not in the library, no track \
            with a key).
            """)

    @Argument(help: ArgumentHelp("The track to mix out of, as the results name it (matched by real path).", valueName: "track"))
    var track: String?

    @Option(parsing: .upToNextOption, help: ArgumentHelp(
        "Results of `keyscan analyze --format json` or `jsonl`, after TRACK (default: what the result cache holds).", valueName: "results"))
    var library: [String] = []

    @Option(help: ArgumentHelp("Reorder this M3U playlist instead; the result goes to stdout.", valueName: "playlist.m3u"))
    var order: String?

    @Option(help: ArgumentHelp("How many suggestions.", valueName: "n"))
    var limit = 10

    @Option(help: "text: one line a suggestion; json: an object with the suggestions.")
    var format: MixFormat = .text

    @Option(help: ArgumentHelp("Without --library, the cache file (default: $XDG_CACHE_HOME/keyscan/results.sqlite).", valueName: "path"))
    var cacheFile: String?

    func validate() throws {
        if (track == nil) == (order == nil) { throw ValidationError("give a track, or --order PLAYLIST, not both") }
        if limit < 1 { throw ValidationError("--limit must be at least 1, got \(limit)") }
        if cacheFile != nil && !library.isEmpty { throw ValidationError("--cache-file is for the cache; --library gives results files") }
    }

    func run() throws {
        let results = library.isEmpty ? try LibraryResults.fromCache(cacheFile, folders: []) : try LibraryResults.read(files: library)
        let tracks = results.compactMap(MixTrack.init)
        guard !tracks.isEmpty else { throw ValidationError("the library holds no track with a key (\(results.count) results)") }
        if let order { try reorder(order, tracks) } else if let track { try suggest(track, tracks) }
    }

    func suggest(_ name: String, _ tracks: [MixTrack]) throws {
        let wanted = LibraryResults.realPath(name)
        guard let track = tracks.first(where: { $0.path == name }) ?? tracks.first(where: { LibraryResults.realPath($0.path) == wanted }) else {
            throw ValidationError("\(name) is not among the library's \(tracks.count) tracks with a key")
        }
        let suggestions = MixLibrary(tracks).suggestions(after: track, limit: limit)
        let text = format == .json ? MixOutput.json(track, suggestions).serialized + "\n" : MixOutput.text(track, suggestions)
        FileHandle.standardOutput.write(Data(text.utf8))
    }

    func reorder(_ path: String, _ tracks: [MixTrack]) throws {
        guard let data = FileManager.default.contents(atPath: path) else {
            throw ValidationError("cannot read the playlist \(path)")
        }
        let playlist = M3UPlaylist(text: String(decoding: data, as: UTF8.self))
        // Relative entries are relative to the playlist's own folder; entries and results
        // meet by real path.
        let folder = (LibraryResults.realPath(path) as NSString).deletingLastPathComponent
        let files = playlist.entries.map { LibraryResults.realPath($0.location, relativeTo: folder) }
        let byPath = Dictionary(tracks.map { (LibraryResults.realPath($0.path), $0) }, uniquingKeysWith: { _, last in last })
        // Entries the library has no key for (not analyzed, failed, silent) are kept, after
        // the ordered ones and in their own order: a playlist loses no track to a missing key.
        let keyed = files.indices.filter { byPath[files[$0]] != nil }
        let unkeyed = files.indices.filter { byPath[files[$0]] == nil }
        let ordering = PlaylistOrder(keyed.map { byPath[files[$0]]! })
        let better = ordering.heuristic().map { keyed[$0] } + unkeyed
        FileHandle.standardOutput.write(Data(playlist.text(order: better).utf8))

        let trackIndex = Dictionary(uniqueKeysWithValues: keyed.enumerated().map { ($1, $0) })
        func compatible(_ order: [Int]) -> Int {  // a transition to or from an unkeyed entry is not
            zip(order, order.dropFirst()).filter { a, b in
                guard let i = trackIndex[a], let j = trackIndex[b] else { return false }
                return ordering.compatibleTransitions([i, j]) == 1
            }.count
        }
        let transitions = max(0, playlist.entries.count - 1)
        Stderr.write("keyscan: compatible transitions: \(compatible(Array(playlist.entries.indices))) of \(transitions) before, "
            + "\(compatible(better)) of \(transitions) after")
        if !unkeyed.isEmpty {
            let names = unkeyed.map { playlist.entries[$0].line }
            Stderr.write("keyscan: \(unkeyed.count) of the playlist's \(playlist.entries.count) entries have no key in the library, "
                + "kept last: " + names.prefix(5).joined(separator: ", ") + (names.count > 5 ? ", …" : ""))
        }
    }
}

/// What `mix` prints for suggestions.
enum MixOutput {
    static func json(_ track: MixTrack, _ suggestions: [Transition]) -> JSONValue {
        .object([
            ("track", .string(track.path)),
            ("last_key", key(track.lastKey)),
            ("confidence", .number(track.lastConfidence, decimals: 4)),
            ("tuning_cents", .number(track.tuningCents, decimals: 1)),
            ("suggestions", .array(suggestions.map { s in
                .object([
                    ("path", .string(s.to.path)),
                    ("move", .string(s.move!.rawValue)),
                    ("label", .string(s.move!.label)),
                    ("energy", .bool(s.move!.isEnergy)),
                    ("first_key", key(s.to.firstKey)),
                    ("sounds_as", key(s.incomingKey)),
                    ("tuning_cents", .number(s.to.tuningCents, decimals: 1)),
                    ("tuning_difference_cents", .number(s.residualCents, decimals: 1)),
                    ("tuning_warning", .bool(s.tuningWarning)),
                    ("confidence", .number(s.confidence, decimals: 4)),
                    ("low_confidence", .bool(s.isLowConfidence)),
                    ("notes", .array(s.notes.map { .string($0) })),
                ])
            })),
        ])
    }

    static func key(_ key: MusicalKey) -> JSONValue {
        .object([("key", .string(key.name)), ("camelot", .string(key.camelot)), ("openkey", .string(key.openKey))])
    }

    static func text(_ track: MixTrack, _ suggestions: [Transition]) -> String {
        var lines = ["After \(track.path) (ends in \(track.lastKey.camelot), \(track.lastKey.name); "
            + "tuning \(Transition.signed(track.tuningCents)) cents):"]
        if suggestions.isEmpty { lines.append("  no compatible track in the library") }
        for (i, s) in suggestions.enumerated() {
            let key = s.incomingKey == s.to.firstKey ? s.to.firstKey.camelot : "\(s.to.firstKey.camelot)→\(s.incomingKey.camelot)"
            lines.append(String(format: "%3d. ", i + 1) + s.move!.label.padding(toLength: 10, withPad: " ", startingAt: 0) + " "
                + key.padding(toLength: 7, withPad: " ", startingAt: 0) + String(format: " %.2f  ", s.confidence) + s.to.path)
            for note in s.notes { lines.append("       " + note) }
        }
        return lines.joined(separator: "\n") + "\n"
    }
}
