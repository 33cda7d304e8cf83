import Foundation
import KeyscanMix
import KeyscanResults

/// A library's results as one self-contained HTML page: a Camelot wheel, the track table with
/// each track's key timeline and what it mixes into, and the files that failed. CSS, script
/// and data are inline, the wheel and strips are drawn by the page's own script, and nothing
/// is fetched: it works from `file://` and offline.
///
/// The data is embedded once, as compact JSON arrays (see `PageData`), so a library of
/// 20,000 tracks stays well under 1.5 KB a track.
public struct LibraryPage: Sendable {
    public let results: [AnalysisResult]
    public let title: String
    /// How many "mixes into" suggestions each track carries.
    public let mixLimit: Int

    public init(results: [AnalysisResult], title: String = "keyscan library", mixLimit: Int = 10) {
        self.results = results
        self.title = title
        self.mixLimit = mixLimit
    }

    /// The whole page.
    public var html: String {
        """
        <!DOCTYPE html>
        <html lang="en">
        <head>
        <meta charset="utf-8">
        <meta name="viewport" content="width=device-width, initial-scale=1">
        <meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'; script-src 'unsafe-inline'; img-src data:">
        <link rel="icon" href="data:,">
        <title>\(Self.escaped(title))</title>
        <style>\(PageStyle.css)</style>
        </head>
        <body>
        <header>
          <h1>\(Self.escaped(title))</h1>
          <p id="summary"></p>
          <div class="controls">
            <label>Keys <select id="notation"><option value="camelot">Camelot</option><option value="openkey">Open Key</option><option value="standard">Standard</option></select></label>
            <input id="filter" type="search" placeholder="Filter by name or folder" aria-label="Filter tracks">
          </div>
        </header>
        <main>
          <section id="wheel-panel">
            <svg id="wheel" viewBox="-100 -100 200 200" role="img" aria-label="Camelot wheel: tracks per key"></svg>
            <div id="key-filter" hidden>
              <span id="key-filter-text"></span>
              <label><input id="compatible" type="checkbox"> with compatible keys</label>
              <button id="clear-key" type="button">Show all keys</button>
            </div>
          </section>
          <section id="table-panel">
            <p id="showing"></p>
            <table id="tracks">
              <thead><tr>
                <th data-sort="name">Track</th><th data-sort="key">Key</th><th data-sort="confidence">Conf.</th>
                <th data-sort="tuning">Tuning</th><th data-sort="changes" class="hide-narrow">Changes</th><th data-sort="duration" class="hide-narrow">Length</th><th class="timeline">Timeline</th>
              </tr></thead>
              <tbody></tbody>
            </table>
            <div id="more"></div>
          </section>
          <section id="problems"></section>
        </main>
        <script type="application/json" id="library-data">\(PageData(results: results, mixLimit: mixLimit).json)</script>
        <script>\(PageScript.js)</script>
        </body>
        </html>

        """
    }

    static func escaped(_ text: String) -> String {
        text.replacingOccurrences(of: "&", with: "&amp;").replacingOccurrences(of: "<", with: "&lt;")
            .replacingOccurrences(of: ">", with: "&gt;").replacingOccurrences(of: "\"", with: "&quot;")
    }
}
