import ArgumentParser
import Foundation
import Keyscan
import KeyscanResults
import KeyscanServe

/// `keyscan serve`: openkeyscan-analyzer's NDJSON server, so its clients can switch by
/// changing the executable path. Requests on stdin, replies on stdout, logs on stderr.
struct Serve: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Answer key requests as NDJSON on stdin/stdout (openkeyscan-analyzer's protocol).",
        discussion: """
            Writes {"type":"ready"} once the model is loaded, then reads one request per line: \
            {"id": "1", "path": "/music/a.mp3"} is answered with {"id": "1", "status": "success", \
            "camelot": "8A", "openkey": "1m", "key": "A minor", "class_id": 7, …} or \
            {"id": "1", "status": "error", "error": "…", …}, in any order; {"type": "reset"} \
            abandons all earlier requests. {"type":"heartbeat"} every 30 s. End of input \
            finishes the pending requests, then exits 0. Also started by running keyscan \
            with only these options, as openkeyscan-analyzer is. See docs/serve.md.
            """)

    @Option(name: [.customShort("m"), .customLong("model_path"), .customLong("model")],
            help: ArgumentHelp("KeyNet weights in safetensors (default: Weights/keyscan.safetensors).", valueName: "path"))
    var model: String?

    @Option(name: [.customShort("w"), .long], help: "Files analyzed at once (default: all cores).")
    var workers: Int?

    @Option(help: ArgumentHelp(
        "Cores to use in all (default: all cores); each worker gets its share for one file's transform and network.",
        valueName: "n"))
    var cpus: Int?

    @Option(help: ArgumentHelp("openkeyscan's device choice; keyscan runs on the CPU and ignores it.", visibility: .hidden))
    var device: String?

    @OptionGroup var cacheOptions: CacheOptions
    @OptionGroup var limitOptions: LimitOptions
    @OptionGroup var timelineOptions: TimelineOptions
    @OptionGroup var frontEndOptions: FrontEndOptions

    @Option(help: ArgumentHelp("Seconds between heartbeats.", visibility: .hidden))
    var heartbeatInterval = 30.0

    func validate() throws {
        if let workers, workers < 1 { throw ValidationError("--workers must be at least 1, got \(workers)") }
        if let cpus, cpus < 1 { throw ValidationError("--cpus must be at least 1, got \(cpus)") }
        if !(heartbeatInterval > 0) { throw ValidationError("--heartbeat-interval must be positive") }
    }

    func run() throws {
        let profiling = ProcessInfo.processInfo.environment["PROFILE_PERFORMANCE"] == "1"
        if let device, device != "cpu" { Stderr.write("keyscan serve: --device \(device) ignored: keyscan runs on the CPU") }
        let analyzer = try Analyze.analyzer(model: model, timeline: timelineOptions, frontEnd: frontEndOptions.frontEnd)
        let library = LibraryAnalyzer(analyzer: analyzer, cache: cacheOptions.open(for: analyzer),
                                      limits: limitOptions.limits, profiling: profiling)
        let workers = self.workers ?? AvailableCores.count
        // Cores not taken by a worker of their own help each file's transform and network. A
        // scheduler that gives this process fewer cores than the machine has (a Ray actor
        // holds one) says so with --cpus: threads beyond them only wait for each other.
        let threads = max(1, (cpus ?? AvailableCores.count) / workers)

        let output = LineOutput()
        let scheduler = ServeScheduler<Analyzer.Workspace>(workers: workers, output: output, prepare: {
            Analyzer.Workspace(for: analyzer, threads: threads)
        }, work: { job, workspace in
            guard !job.isCancelled() else { return nil }
            let (result, profile) = library.result(for: job.path, workspace: workspace, isCancelled: job.isCancelled)
            if let profile, profiling { Stderr.write(ProfileTable.file(profile)) }
            return job.isCancelled() ? nil : result
        })
        Stderr.write("keyscan serve: model \(analyzer.modelPath), \(workers) worker\(workers == 1 ? "" : "s"), "
                     + (library.cache.isEnabled ? "cache on" : "no cache"))
        output.send(ServerReply.ready(version: KeyscanVersion.current, model: analyzer.identity))
        let heartbeat = Heartbeat(every: heartbeatInterval, output: output)

        var input = LineReader()
        while let line = input.next() {
            switch line {
            case .text(let text):
                guard !text.allSatisfy(\.isWhitespace) else { continue }
                switch ServerRequest.parse(text) {
                case .success(.analyze(let id, let path)): scheduler.submit(id: id, path: path)
                case .success(.reset): scheduler.reset()
                case .failure(let error):
                    Stderr.write("keyscan serve: line \(input.lineNumber) ignored: \(error.message)")
                    if let id = error.id { scheduler.reject(error, id: id) }
                }
            case .invalidUTF8:
                Stderr.write("keyscan serve: line \(input.lineNumber) ignored: not UTF-8")
            case .tooLong(let bytes):
                Stderr.write("keyscan serve: line \(input.lineNumber) ignored: \(bytes) bytes, over the limit of \(LineReader.defaultMaximumLength)")
            }
        }
        scheduler.finishInput()
        heartbeat.stop()
        Stderr.write("keyscan serve: end of input, all requests answered")
    }
}
