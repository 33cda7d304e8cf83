import Foundation

/// The cores this process may run on: what `--jobs` and `serve --workers` default to, and what
/// a worker's share of threads is counted from.
///
/// Foundation's `activeProcessorCount` counts the machine's online cores and ignores the
/// process's affinity mask (`taskset -c 0 keyscan …`, a container's `--cpuset-cpus`, a
/// scheduler's CPU set), so keyscan would start as many workers as the machine has cores and
/// split one MP3 across cores it cannot use. Linux says which cores are allowed in
/// `/proc/self/status` (`Cpus_allowed:`, a hexadecimal mask); where that cannot be read, the
/// online count stands. A CPU-time quota (a container's `--cpus`) is not a mask: it is not
/// seen here, and `serve --cpus` exists for it.
enum AvailableCores {
    static let count: Int = {
        let online = ProcessInfo.processInfo.activeProcessorCount
        guard let status = try? String(contentsOfFile: "/proc/self/status", encoding: .utf8),
              let allowed = allowedCount(status: status) else { return online }
        return max(1, min(online, allowed))
    }()

    /// The number of cores in the `Cpus_allowed:` mask of a `/proc/PID/status` text (comma-
    /// separated groups of hexadecimal digits), or nil without a readable one.
    static func allowedCount(status: String) -> Int? {
        guard let line = status.split(separator: "\n").first(where: { $0.hasPrefix("Cpus_allowed:") }) else { return nil }
        let mask = line.dropFirst("Cpus_allowed:".count).filter { !$0.isWhitespace && $0 != "," }
        guard !mask.isEmpty else { return nil }
        var count = 0
        for digit in mask {
            guard let value = digit.hexDigitValue else { return nil }
            count += value.nonzeroBitCount
        }
        return count > 0 ? count : nil
    }
}
