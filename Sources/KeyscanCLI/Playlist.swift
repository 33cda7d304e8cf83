import Foundation

/// An M3U playlist as lines: each entry keeps the comment lines above it (#EXTINF and the
/// like), so reordering entries moves them along.
struct Playlist {
    struct Entry {
        /// The lines before the path: #EXTINF, other comments, blank lines.
        var attached: [String]
        /// The path as written.
        var line: String
        /// The path resolved against the playlist's folder, symlinks followed.
        var realPath: String
    }

    /// "#EXTM3U", if the playlist starts with it.
    var header: String?
    var entries: [Entry]
    /// Comment lines after the last entry.
    var trailing: [String]

    init(path: String) throws {
        guard let data = FileManager.default.contents(atPath: path) else {
            throw PlaylistError(message: "cannot read the playlist \(path)")
        }
        let folder = (LibraryResults.realPath(path) as NSString).deletingLastPathComponent
        var lines = String(decoding: data, as: UTF8.self).components(separatedBy: "\n").map {
            $0.hasSuffix("\r") ? String($0.dropLast()) : $0
        }
        if lines.last == "" { lines.removeLast() }
        if let first = lines.first?.replacingOccurrences(of: "\u{FEFF}", with: ""), first.hasPrefix("#EXTM3U") {
            header = first
            lines.removeFirst()
        }
        entries = []
        var pending: [String] = []
        for line in lines {
            let text = line.trimmingCharacters(in: .whitespaces)
            if text.isEmpty || text.hasPrefix("#") {
                pending.append(line)
                continue
            }
            let file = text.hasPrefix("file://") ? (URL(string: text)?.path ?? text) : text
            entries.append(Entry(attached: pending, line: line, realPath: LibraryResults.realPath(file, relativeTo: folder)))
            pending = []
        }
        trailing = pending
    }

    /// The playlist with its entries in `order` (indices into `entries`).
    func text(order: [Int]) -> String {
        var lines: [String] = header.map { [$0] } ?? []
        for i in order { lines += entries[i].attached + [entries[i].line] }
        lines += trailing
        return lines.map { $0 + "\n" }.joined()
    }
}

struct PlaylistError: Error, CustomStringConvertible {
    let message: String
    var description: String { message }
}
