@testable import KeyscanMix
import Testing

/// M3U as DJ software writes it: a header, #EXTINF lines that belong to the entry below,
/// CRLF line ends, a byte-order mark, file:// URLs, comments after the last entry.
@Suite struct M3UPlaylistTests {
    static let text = "\u{FEFF}#EXTM3U\r\n#EXTINF:215,Artist - One\r\n/music/one.mp3\r\n\r\n#EXTINF:180,Two\r\n"
        + "file:///music/t%C3%BCr%20two.flac\r\n  relative/three.ogg  \r\n# the end\r\n"

    @Test func entriesKeepTheirLinesAndLocations() {
        let playlist = M3UPlaylist(text: Self.text)
        #expect(playlist.header == "#EXTM3U")
        #expect(playlist.entries.map(\.location) == ["/music/one.mp3", "/music/tür two.flac", "relative/three.ogg"])
        #expect(playlist.entries.map(\.attached) == [["#EXTINF:215,Artist - One"], ["", "#EXTINF:180,Two"], []])
        #expect(playlist.entries[2].line == "  relative/three.ogg  ", "written back as it was")
        #expect(playlist.trailing == ["# the end"])
    }

    @Test func reorderingMovesEachEntryWithItsLines() {
        let playlist = M3UPlaylist(text: Self.text)
        #expect(playlist.text(order: [2, 0, 1]) == "#EXTM3U\n  relative/three.ogg  \n#EXTINF:215,Artist - One\n/music/one.mp3\n"
            + "\n#EXTINF:180,Two\nfile:///music/t%C3%BCr%20two.flac\n# the end\n")
        // Written and read again: the same playlist (line ends normalised to LF).
        #expect(M3UPlaylist(text: playlist.text(order: [0, 1, 2])) == M3UPlaylist(text: Self.text))
    }

    /// Found by the m3u fuzzer: lone CRs (classic Mac line ends) end lines too, so a
    /// playlist written back reads back the same.
    @Test func loneCarriageReturnsEndLines() {
        let playlist = M3UPlaylist(text: "a.mp3\rb.mp3\r\r")
        #expect(playlist.entries.map(\.line) == ["a.mp3", "b.mp3"])
        #expect(playlist.trailing == [""])
        #expect(M3UPlaylist(text: playlist.text(order: [1, 0])).entries.map(\.line) == ["b.mp3", "a.mp3"])
    }

    @Test func emptyAndCommentOnlyPlaylists() {
        #expect(M3UPlaylist(text: "").entries.isEmpty)
        let comments = M3UPlaylist(text: "#EXTM3U\n# nothing\n")
        #expect(comments.entries.isEmpty && comments.trailing == ["# nothing"])
        #expect(comments.text(order: []) == "#EXTM3U\n# nothing\n")
    }
}

extension M3UPlaylistTests {
    /// Found by the m3u fuzzer: only the #EXTM3U tag itself is the header, not any first line
    /// that starts with those letters.
    @Test func theHeaderIsTheTagAlone() {
        #expect(M3UPlaylist(text: "#EXTM3Ub.mp3\na.mp3\n").header == nil)
        #expect(M3UPlaylist(text: "#EXTM3U url-tvg=\"x\"\na.mp3\n").header == "#EXTM3U url-tvg=\"x\"")
        // A byte-order mark inside the file (playlists concatenated) hides no comment.
        let joined = M3UPlaylist(text: "a.mp3\n\u{FEFF}#EXTM3U\nb.mp3\n")
        #expect(joined.entries.map(\.line) == ["a.mp3", "b.mp3"])
        #expect(joined.entries[1].attached == ["\u{FEFF}#EXTM3U"])
    }
}
