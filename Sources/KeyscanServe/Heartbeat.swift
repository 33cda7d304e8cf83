import Foundation

/// Sends `{"type":"heartbeat"}` every `interval` seconds until stopped, so a client can
/// tell a busy server from a dead one.
public final class Heartbeat: @unchecked Sendable {
    private let condition = NSCondition()
    private var stopped = false
    private let done = DispatchGroup()

    public init(every interval: Double, output: LineOutput) {
        done.enter()
        Thread { [self] in
            condition.withLock {
                var next = Date(timeIntervalSinceNow: interval)
                while !stopped {
                    if !condition.wait(until: next) && !stopped {
                        output.send(ServerReply.heartbeat)
                        next = Date(timeIntervalSinceNow: interval)
                    }
                }
            }
            done.leave()
        }.start()
    }

    public func stop() {
        condition.withLock {
            stopped = true
            condition.signal()
        }
        done.wait()
    }
}
