import Foundation
import Glibc
import KeyscanResults

/// The live status line `analyze` keeps on stderr while it works, when stderr is a terminal:
///
///     keyscan: 1234/10000 files · 3 failed · 41 cached · 0:42 elapsed · ETA 4:58 · 29.4 files/s · 1571× realtime
///
/// Redrawn four times a second in place (carriage return, erase line), cut to the
/// terminal's width so it never wraps; replaced by a summary at the end. Never on stdout.
final class ProgressLine: @unchecked Sendable {
    /// What the line shows, updated as files finish.
    struct Counts: Equatable {
        /// Nil while the files are still being listed (`--files-from` with jsonl).
        var total: Int?
        var done = 0
        var failed = 0
        var cached = 0
        /// Seconds of audio in files analyzed now (not cached ones).
        var audioSeconds = 0.0
    }

    private let lock = NSLock()
    private var counts: Counts
    private var finished = false
    private let start = ContinuousClock.now
    private var timer: DispatchSourceTimer?

    /// A progress line if stderr is a terminal and not `quiet`, else nil.
    static func start(total: Int?, quiet: Bool) -> ProgressLine? {
        guard !quiet, isatty(STDERR_FILENO) == 1 else { return nil }
        return ProgressLine(total: total)
    }

    private init(total: Int?) {
        counts = Counts(total: total)
        let timer = DispatchSource.makeTimerSource(queue: .global(qos: .utility))
        timer.schedule(deadline: .now(), repeating: .milliseconds(250))
        // Holds self until `finish` drops the timer (a weak reference here would cost a
        // side table that LeakSanitizer reports when the process ends).
        timer.setEventHandler { self.draw() }
        timer.resume()
        self.timer = timer
    }

    func add(_ result: AnalysisResult) {
        lock.withLock {
            counts.done += 1
            if result.failed { counts.failed += 1 }
            if result.isCached {
                counts.cached += 1
            } else if case .success(_, let seconds) = result.outcome {
                counts.audioSeconds += seconds
            }
        }
    }

    /// Stops redrawing and leaves a one-line summary in place of the live line. Must be
    /// called once the batch is done: it also releases the timer.
    func finish() {
        lock.withLock {
            finished = true
            Self.emit("\r\u{1B}[K" + Self.summary(counts, elapsed: elapsed) + "\n")
        }
        timer?.setEventHandler(handler: nil)
        timer?.cancel()
        timer = nil
    }

    private var elapsed: Double { (ContinuousClock.now - start).seconds }

    private func draw() {
        lock.withLock {
            guard !finished else { return }
            Self.emit("\r\u{1B}[K" + Self.line(counts, elapsed: elapsed, width: Self.terminalWidth()))
        }
    }

    /// The live line, at most `width` characters.
    static func line(_ c: Counts, elapsed: Double, width: Int) -> String {
        var parts = ["keyscan: \(c.done)" + (c.total.map { "/\($0)" } ?? "") + " files"]
        if c.failed > 0 { parts.append("\(c.failed) failed") }
        if c.cached > 0 { parts.append("\(c.cached) cached") }
        parts.append("\(clock(elapsed)) elapsed")
        if let total = c.total, c.done > 0 && c.done < total {
            parts.append("ETA \(clock(elapsed / Double(c.done) * Double(total - c.done)))")
        }
        if elapsed >= 1 {
            parts.append(String(format: "%.1f files/s", Double(c.done) / elapsed))
            if c.audioSeconds > 0 { parts.append(String(format: "%.0f× realtime", c.audioSeconds / elapsed)) }
        }
        let text = parts.joined(separator: " · ")
        return text.count <= width ? text : String(text.prefix(max(0, width - 1))) + "…"
    }

    /// What stays on screen when the batch is done.
    static func summary(_ c: Counts, elapsed: Double) -> String {
        var text = "keyscan: \(c.done) files in \(clock(elapsed))"
        var details: [String] = []
        if c.failed > 0 { details.append("\(c.failed) failed") }
        if c.cached > 0 { details.append("\(c.cached) from the cache") }
        if !details.isEmpty { text += " (" + details.joined(separator: ", ") + ")" }
        if elapsed > 0 && c.audioSeconds > 0 { text += String(format: ", %.0f× realtime", c.audioSeconds / elapsed) }
        return text
    }

    /// 0:42, 12:03, 1:02:03.
    static func clock(_ seconds: Double) -> String {
        let s = Int(seconds.rounded())
        return s >= 3600 ? String(format: "%d:%02d:%02d", s / 3600, s / 60 % 60, s % 60) : String(format: "%d:%02d", s / 60, s % 60)
    }

    private static func terminalWidth() -> Int {
        var size = winsize()
        guard ioctl(STDERR_FILENO, UInt(TIOCGWINSZ), &size) == 0, size.ws_col > 0 else { return 80 }
        return Int(size.ws_col)
    }

    private static func emit(_ text: String) {
        FileHandle.standardError.write(Data(text.utf8))
    }
}
