import Foundation
import Keyscan
import KeyscanReport

/// Runs the analyzer over a list of files on `jobs` threads of its own.
///
/// Each worker takes the next file, analyzes it with its own workspace and hands the
/// result to `deliver` (called under a lock, so one at a time). When there are fewer
/// files than cores, each worker's model stage spreads over the idle cores.
struct Batch {
    let files: [String]
    let analyzer: Analyzer
    let jobs: Int
    let profiling: Bool

    /// Analyzes every file; returns the profiles in completion order.
    func run(deliver: @escaping @Sendable (Int, AnalysisResult, FileProfile) -> Void) -> [FileProfile] {
        let workers = max(1, min(jobs, files.count))
        let cores = ProcessInfo.processInfo.activeProcessorCount
        let state = BatchState()
        let finished = DispatchGroup()
        for _ in 0..<workers {
            finished.enter()
            let worker = Thread { [files, analyzer, profiling] in
                let workspace = Analyzer.Workspace(for: analyzer, threads: max(1, cores / workers))
                while let index = state.claim(below: files.count) {
                    let (result, profile) = analyzer.analyze(path: files[index], workspace: workspace, profiling: profiling)
                    state.record(profile) { deliver(index, result, profile) }
                }
                finished.leave()
            }
            worker.stackSize = 4 << 20
            worker.start()
        }
        finished.wait()
        return state.profiles
    }
}

/// The shared queue position and the finished profiles.
private final class BatchState: @unchecked Sendable {
    private let lock = NSLock()
    private var next = 0
    private var finished: [FileProfile] = []

    func claim(below count: Int) -> Int? {
        lock.withLock {
            guard next < count else { return nil }
            defer { next += 1 }
            return next
        }
    }

    func record(_ profile: FileProfile, then body: () -> Void) {
        lock.withLock {
            finished.append(profile)
            body()
        }
    }

    var profiles: [FileProfile] { lock.withLock { finished } }
}
