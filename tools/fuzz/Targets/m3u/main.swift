import FuzzSupport
import KeyscanMix

// Arbitrary bytes as a playlist (`keyscan mix --order` reads them, decoded as UTF-8 with
// replacement, as the command does) → `M3UPlaylist`. Every input must parse; written in
// order it must read back as the same playlist; written in any other order it must read
// back with the same entries in that order and not one line lost or added. (Which entry a
// comment line belongs to may change then: a comment that lands first can read as the
// #EXTM3U header.)

fuzz { bytes in
    let playlist = M3UPlaylist(text: String(decoding: bytes, as: UTF8.self))
    let count = playlist.entries.count
    precondition(M3UPlaylist(text: playlist.text(order: Array(0..<count))) == playlist, "written in order, not the same playlist")
    let reversed = Array((0..<count).reversed())
    let text = playlist.text(order: reversed)
    let again = M3UPlaylist(text: text)
    precondition(again.entries.map(\.line) == reversed.map { playlist.entries[$0].line }, "entries changed when reordered:\n\(text)")
    precondition(again.entries.map(\.location) == reversed.map { playlist.entries[$0].location }, "locations changed")
    precondition(lines(again).sorted() == lines(playlist).sorted(), "lines lost or added when reordered:\n\(text)")
}

func lines(_ playlist: M3UPlaylist) -> [String] {
    (playlist.header.map { [$0] } ?? []) + playlist.entries.flatMap { $0.attached + [$0.line] } + playlist.trailing
}
