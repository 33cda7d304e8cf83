import CLibFuzzer
import Glibc

// SwiftPM links every executable with its own `main` (it renames the module's entry point
// and points `main` at it), so libFuzzer's `main` cannot be used and a fuzzer cannot just
// export LLVMFuzzerTestOneInput. Instead each fuzzer's top-level code calls `fuzz`, which
// hands libFuzzer's driver the process arguments and the per-input function.

/// The current fuzzer's per-input function; set once by `fuzz`, before any input runs.
nonisolated(unsafe) private var testOneInput: ((UnsafeRawBufferPointer) -> Void)?

/// Runs libFuzzer with the command-line arguments (its flags, corpus folders or input
/// files), calling `body` with each input's bytes, then exits with libFuzzer's status.
/// `body` must return for every input; a crash, timeout, leak or sanitizer report inside
/// it is a finding.
public func fuzz(_ body: @escaping (UnsafeRawBufferPointer) -> Void) -> Never {
    testOneInput = body
    var argc = CommandLine.argc
    var argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>? = CommandLine.unsafeArgv
    let status = LLVMFuzzerRunDriver(&argc, &argv) { data, size in
        testOneInput!(UnsafeRawBufferPointer(start: data, count: size))
        return 0
    }
    exit(status)
}
