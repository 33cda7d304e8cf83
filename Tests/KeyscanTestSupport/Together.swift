import Foundation

/// Runs `body(0..<count)` on `count` threads of its own, released at the same moment, and
/// returns when all have finished. For races: `DispatchQueue.concurrentPerform` runs only
/// as many at once as there are cores, and starts them as they come.
public func together(_ count: Int, _ body: @escaping @Sendable (Int) -> Void) {
    let ready = DispatchSemaphore(value: 0), go = DispatchSemaphore(value: 0), done = DispatchSemaphore(value: 0)
    for index in 0..<count {
        Thread {
            ready.signal()
            go.wait()
            body(index)
            done.signal()
        }.start()
    }
    for _ in 0..<count { ready.wait() }
    for _ in 0..<count { go.signal() }
    for _ in 0..<count { done.wait() }
}
