import Foundation

/// An M3U playlist as lines: each entry keeps the comment lines above it (#EXTINF and the
/// like), so reordering entries moves them along, and a reordered playlist is the same
/// lines in another order. Text only: resolving entries to files is the caller's job.
public struct M3UPlaylist: Sendable, Equatable {
    public struct Entry: Sendable, Equatable {
        /// The lines before the path: #EXTINF, other comments, blank lines.
        public var attached: [String]
        /// The entry's line as written.
        public var line: String
        /// The file it names: the line trimmed, a `file://` URL turned into its path.
        public var location: String
    }

    /// "#EXTM3U", if the playlist starts with it.
    public var header: String?
    public var entries: [Entry]
    /// Comment lines after the last entry.
    public var trailing: [String]

    /// Parses a playlist's text (UTF-8; a byte-order mark, and LF, CRLF or CR line ends).
    public init(text: String) {
        var lines = Self.lines(text)
        if lines.last == "" { lines.removeLast() }
        if let first = lines.first {
            let unmarked = first.hasPrefix("\u{FEFF}") ? String(first.dropFirst()) : first
            // The #EXTM3U tag alone or with attributes (`#EXTM3U url-tvg=…`), not "#EXTM3Ufoo".
            if unmarked == "#EXTM3U" || unmarked.hasPrefix("#EXTM3U ") || unmarked.hasPrefix("#EXTM3U\t") {
                header = unmarked
                lines.removeFirst()
            }
        }
        entries = []
        var pending: [String] = []
        for line in lines {
            // A byte-order mark is no part of a name, wherever a concatenation left it.
            let text = line.trimmingCharacters(in: Self.blank)
            if text.isEmpty || text.hasPrefix("#") {
                pending.append(line)
                continue
            }
            entries.append(Entry(attached: pending, line: line, location: Self.location(text)))
            pending = []
        }
        trailing = pending
    }

    /// The playlist with its entries in `order` (indices into `entries`).
    public func text(order: [Int]) -> String {
        var lines: [String] = header.map { [$0] } ?? []
        for i in order { lines += entries[i].attached + [entries[i].line] }
        lines += trailing
        return lines.map { $0 + "\n" }.joined()
    }

    static let blank = CharacterSet.whitespaces.union(CharacterSet(charactersIn: "\u{FEFF}"))

    /// The lines of `text`, ended by LF, CRLF or a lone CR (older Mac software writes those),
    /// without their ends. By code point: to Swift's String, "\r\n" is one Character.
    static func lines(_ text: String) -> [String] {
        var lines: [String] = []
        var line = String.UnicodeScalarView()
        var afterCR = false
        for scalar in text.unicodeScalars {
            defer { afterCR = scalar == "\r" }
            if scalar == "\n" && afterCR { continue }  // the LF of a CRLF: its line is ended
            if scalar == "\n" || scalar == "\r" {
                lines.append(String(line))
                line = String.UnicodeScalarView()
            } else {
                line.append(scalar)
            }
        }
        lines.append(String(line))
        return lines
    }

    /// `file:///music/a%20b.mp3` → `/music/a b.mp3`; anything else as written.
    static func location(_ text: String) -> String {
        text.hasPrefix("file://") ? (URL(string: text)?.path ?? text) : text
    }
}
