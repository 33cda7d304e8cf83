import Foundation
import Testing
@testable import KeyscanCLI

/// The default number of jobs follows the cores the process may run on, not the machine's.
@Suite struct AvailableCoresTests {
    static func status(_ mask: String) -> String {
        "Name:\tkeyscan\nThreads:\t1\nCpus_allowed:\t\(mask)\nCpus_allowed_list:\t0\nMems_allowed:\t1\n"
    }

    @Test func countsTheAllowedMask() {
        #expect(AvailableCores.allowedCount(status: Self.status("1")) == 1)
        #expect(AvailableCores.allowedCount(status: Self.status("3")) == 2)
        #expect(AvailableCores.allowedCount(status: Self.status("ff")) == 8)
        // Many cores: groups of 32 bits, commas between them.
        #expect(AvailableCores.allowedCount(status: Self.status("00000000,00000000,0000000a")) == 2)
        #expect(AvailableCores.allowedCount(status: Self.status("ffffffff,ffffffff")) == 64)
    }

    @Test func noMaskOrABrokenOneIsNil() {
        #expect(AvailableCores.allowedCount(status: "Name:\tkeyscan\nThreads:\t1\n") == nil)
        #expect(AvailableCores.allowedCount(status: Self.status("")) == nil)
        #expect(AvailableCores.allowedCount(status: Self.status("0")) == nil)
        #expect(AvailableCores.allowedCount(status: Self.status("zz")) == nil)
    }

    /// This process: at least one core, never more than the machine has online.
    @Test func thisProcess() {
        #expect(AvailableCores.count >= 1)
        #expect(AvailableCores.count <= ProcessInfo.processInfo.activeProcessorCount)
        if let status = try? String(contentsOfFile: "/proc/self/status", encoding: .utf8),
           let allowed = AvailableCores.allowedCount(status: status) {
            #expect(AvailableCores.count == min(allowed, ProcessInfo.processInfo.activeProcessorCount))
        }
    }
}
