import Foundation

/// Runs a job over a list of files on `jobs` threads of its own.
///
/// Each worker makes its state once (`prepare`, told how many threads it may use: more
/// than one when there are fewer files than cores), then takes the next file, runs `work`
/// and hands the outcome to `deliver`, one call at a time (under a lock).
struct Batch {
    let files: [String]
    let jobs: Int

    func run<State, Outcome>(prepare: @escaping @Sendable (_ threads: Int) -> State,
                             work: @escaping @Sendable (String, State) -> Outcome,
                             deliver: @escaping @Sendable (Int, Outcome) -> Void) {
        let workers = max(1, min(jobs, files.count))
        let threads = max(1, ProcessInfo.processInfo.activeProcessorCount / workers)
        let queue = FileQueue(count: files.count)
        let finished = DispatchGroup()
        for _ in 0..<workers {
            finished.enter()
            let worker = Thread { [files] in
                let state = prepare(threads)
                while let index = queue.claim() {
                    let outcome = work(files[index], state)
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
