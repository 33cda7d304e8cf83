import Foundation
import KeyscanResults
import Synchronization

/// Runs analysis requests on worker threads and keeps openkeyscan's generation rules.
///
/// Every request belongs to the generation current when it arrived. A reset starts a new
/// generation: queued requests of older ones are dropped, running ones are told to stop
/// (`Job.isCancelled`), and none of them sends a reply. `reset_complete` goes out at once;
/// `reset_idle` once no older work is still running. Replies of the live generation go
/// out as they finish, in any order.
public final class ServeScheduler<State>: @unchecked Sendable {
    /// One request, as a worker sees it.
    public struct Job: Sendable {
        public let id: RequestID
        public let path: String
        public let generation: Int
        /// True once the job's generation is over (or nobody reads the replies any more):
        /// stop and return nil.
        public let isCancelled: @Sendable () -> Bool
    }

    private let condition = NSCondition()
    // Guarded by `condition`:
    private var queue: [Job] = []
    private var queueHead = 0
    private var running: [Int: Int] = [:]  // generation → jobs running
    private var resetsAwaitingIdle: [Int] = []
    private var inputFinished = false

    /// The live generation, also read without the lock by `Job.isCancelled`.
    private let generation = Generation()
    private let output: LineOutput
    private let workersDone = DispatchGroup()

    /// Starts `workers` threads. Each makes its state once (`prepare`) and then runs `work`
    /// for one job at a time: the job's result, or nil if it was cancelled.
    public init(workers: Int, output: LineOutput,
                prepare: @escaping @Sendable () -> State,
                work: @escaping @Sendable (Job, State) -> AnalysisResult?) {
        self.output = output
        for _ in 0..<max(1, workers) {
            workersDone.enter()
            let thread = Thread { [self] in
                let state = prepare()
                while let job = next() {
                    let result = work(job, state)
                    finish(job, result: result)
                }
                workersDone.leave()
            }
            thread.stackSize = 4 << 20
            thread.start()
        }
    }

    /// Queues a request in the live generation.
    public func submit(id: RequestID, path: String) {
        condition.withLock {
            let live = generation.current
            let job = Job(id: id, path: path, generation: live, isCancelled: { [generation, output] in
                generation.current != live || output.isClosed
            })
            queue.append(job)
            condition.signal()
        }
    }

    /// Replies to a request that cannot run, in the live generation.
    public func reject(_ error: RequestError, id: RequestID) {
        condition.withLock {
            output.send(ServerReply.rejected(error, id: id, generation: generation.current))
        }
    }

    /// Starts a new generation; returns its number.
    @discardableResult
    public func reset() -> Int {
        condition.withLock {
            let new = generation.advance()
            queue.removeAll()
            queueHead = 0
            output.send(ServerReply.resetComplete(generation: new))
            resetsAwaitingIdle.append(new)
            announceIdleResets()
            return new
        }
    }

    /// No more requests will come: finishes the queued ones, then returns.
    public func finishInput() {
        condition.withLock {
            inputFinished = true
            condition.broadcast()
        }
        workersDone.wait()
    }

    /// The next job for a worker, waiting for one; nil once input is over and all are taken.
    private func next() -> Job? {
        condition.withLock {
            while queueHead == queue.count && !inputFinished { condition.wait() }
            guard queueHead < queue.count else { return nil }
            let job = queue[queueHead]
            queueHead += 1
            if queueHead == queue.count {
                queue.removeAll(keepingCapacity: true)
                queueHead = 0
            }
            running[job.generation, default: 0] += 1
            return job
        }
    }

    private func finish(_ job: Job, result: AnalysisResult?) {
        condition.withLock {
            running[job.generation]! -= 1
            if running[job.generation] == 0 { running[job.generation] = nil }
            // Checked under the lock that resets take, so no reply of an old generation
            // can follow its reset_complete.
            if let result, job.generation == generation.current {
                output.send(ServerReply.analysis(result, id: job.id, generation: job.generation))
            }
            announceIdleResets()
        }
    }

    /// Sends reset_idle for every reset whose older work has all finished. Caller holds the lock.
    private func announceIdleResets() {
        while let first = resetsAwaitingIdle.first, !running.keys.contains(where: { $0 < first }) {
            output.send(ServerReply.resetIdle(generation: first))
            resetsAwaitingIdle.removeFirst()
        }
    }
}

/// The live generation number: written under the scheduler's lock, read by jobs without it.
private final class Generation: Sendable {
    private let value = Atomic<Int>(0)
    var current: Int { value.load(ordering: .relaxed) }
    func advance() -> Int { value.add(1, ordering: .relaxed).newValue }
}
