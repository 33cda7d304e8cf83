import FuzzSupport
import KeyscanMix

// Arbitrary bytes as a playlist (`keyscan mix --order` reads them, decoded as UTF-8 with
// replacement, as the command does) → `M3UPlaylist`. Every input must parse; writing the
// entries in any order must keep every line and every entry with the lines above it; and
// what is written must read back as the same playlist with its entries reordered.

fuzz { bytes in
    let playlist = M3UPlaylist(text: String(decoding: bytes, as: UTF8.self))
    let count = playlist.entries.count
    let reversed = Array((0..<count).reversed())
    let text = playlist.text(order: reversed)
    let again = M3UPlaylist(text: text)
    precondition(again.header == playlist.header, "the header changed: \(String(describing: playlist.header))")
    precondition(again.entries == reversed.map { playlist.entries[$0] }, "entries changed when reordered:\n\(text)")
    precondition(again.trailing == playlist.trailing, "the closing comments changed")
    precondition(M3UPlaylist(text: playlist.text(order: Array(0..<count))) == playlist, "written in order, not the same playlist")
}
