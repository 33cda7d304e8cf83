import Foundation
import Keyscan

/// Runs a job over a list of files on `jobs` threads of its own.
///
/// Each worker takes the next file, runs `work` with its own workspace and hands the
/// outcome to `deliver`, one call at a time (under a lock). When there are fewer files
/// than cores, each worker's model stage spreads over the idle cores.
struct Batch {
    let files: [String]
    let analyzer: Analyzer
    let jobs: Int

    func run<Outcome>(_ work: @escaping @Sendable (String, Analyzer.Workspace) -> Outcome,
                      deliver: @escaping @Sendable (Int, Outcome) -> Void) {
        let workers = max(1, min(jobs, files.count))
        let cores = ProcessInfo.processInfo.activeProcessorCount
        let queue = FileQueue(count: files.count)
        let finished = DispatchGroup()
        for _ in 0..<workers {
            finished.enter()
            let worker = Thread { [files, analyzer] in
                let workspace = Analyzer.Workspace(for: analyzer, threads: max(1, cores / workers))
                while let index = queue.claim() {
                    let outcome = work(files[index], workspace)
                    queue.deliver { deliver(index, outcome) }
                }
                finished.leave()
            }
            worker.stackSize = 4 << 20
            worker.start()
        }
        finished.wait()
    }
}

/// Hands out file indices and serialises deliveries.
private final class FileQueue: @unchecked Sendable {
    private let lock = NSLock()
    private let deliveryLock = NSLock()
    private let count: Int
    private var next = 0

    init(count: Int) { self.count = count }

    func claim() -> Int? {
        lock.withLock {
            guard next < count else { return nil }
            defer { next += 1 }
            return next
        }
    }

    func deliver(_ body: () -> Void) { deliveryLock.withLock(body) }
}
