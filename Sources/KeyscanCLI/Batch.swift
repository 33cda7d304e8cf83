import Foundation

/// Runs a job over files on `jobs` threads of its own.
///
/// The files come from a `PathSource`, one at a time as workers ask for them, so a list of
/// millions of paths is never held. Each worker makes its state once (`prepare`, told how
/// many threads it may use: more than one when there are fewer files than cores), then
/// takes the next file, runs `work` and hands the outcome to `deliver` with the file's
/// place in the order files were taken, one call at a time (under a lock).
struct Batch {
    let source: PathSource
    let jobs: Int

    func run<State, Outcome>(prepare: @escaping @Sendable (_ threads: Int) -> State,
                             work: @escaping @Sendable (String, State) -> Outcome,
                             deliver: @escaping @Sendable (Int, Outcome) -> Void) {
        let workers = max(1, min(jobs, source.count ?? jobs))
        let threads = max(1, AvailableCores.count / workers)
        let queue = FileQueue(source)
        let finished = DispatchGroup()
        for _ in 0..<workers {
            finished.enter()
            let worker = Thread {
                let state = prepare(threads)
                while let (index, path) = queue.claim() {
                    let outcome = work(path, state)
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

/// Hands out files in order, numbered, and serialises deliveries.
private final class FileQueue: @unchecked Sendable {
    private let lock = NSLock()
    private let deliveryLock = NSLock()
    private let source: PathSource
    private var next = 0

    init(_ source: PathSource) { self.source = source }

    func claim() -> (Int, String)? {
        lock.withLock {
            guard let path = source.next() else { return nil }
            defer { next += 1 }
            return (next, path)
        }
    }

    func deliver(_ body: () -> Void) { deliveryLock.withLock(body) }
}
