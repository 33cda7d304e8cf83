import Foundation
import Testing

/// `keyscan serve`, driven through pipes as openkeyscan-analyzer's client apps drive it.
@Suite(.serialized) struct ServeCommandTests {
    let model = KeyscanRun.tinyModel

    /// An A-minor cadence as WAV, `seconds` long.
    static func cadence(_ folder: TemporaryFolder, _ name: String, seconds: Double = 4) throws -> String {
        let url = folder.path(name)
        try TestAudio.writeWAV(url, mono: TestAudio.cadence(tonic: 9, minor: true, seconds: seconds))
        return url.path
    }

    /// Replays a server's output, checking that each reply belongs to the generation live
    /// when it was sent (`belongs(id, generation)`); returns the last generation, how often
    /// each id was answered, and the reset_idle generations in order.
    static func replay(_ lines: [[String: Any]], belongs: (String, Int) -> Bool) -> (live: Int, answered: [String: Int], idle: [Int]) {
        var live = 0
        var answered: [String: Int] = [:]
        var idle: [Int] = []
        for line in lines {
            switch line["type"] as? String {
            case "reset_complete": live = line["generation"] as? Int ?? -1
            case "reset_idle": idle.append(line["generation"] as? Int ?? -1)
            case "ready", "heartbeat": continue
            default:
                let id = "\(line["id"] ?? "?")"
                #expect(line["generation"] as? Int == live, "\(id) answered in generation \(live)")
                #expect(belongs(id, live), "\(id) is not a request of generation \(live)")
                answered[id, default: 0] += 1
            }
        }
        return (live, answered, idle)
    }

    @Test func answersRequestsByIDWithOpenkeyscanFields() throws {
        let folder = try TemporaryFolder()
        let names = ["plain.wav", "space and 'quote' \"double\".wav", "ünïcödé-日本語-موسيقى-😀🎧.wav"]
        let paths = try names.map { try Self.cadence(folder, $0) }
        try Data("not audio".utf8).write(to: folder.path("notes.mp3"))

        let server = try ServerProcess(["serve", "--model", ShippedModelTests.weights.path])
        #expect(server.wait { $0.first?["type"] as? String == "ready" })
        for (i, path) in paths.enumerated() { server.send(id: "ok-\(i)", path: path) }
        server.send(id: "missing", path: folder.path("missing.mp3").path)
        server.send(id: "bad", path: folder.path("notes.mp3").path)
        server.send(#"{"id": 77, "path": "\#(paths[0])"}"#)
        #expect(server.finish() == 0)

        let replies = Dictionary(server.replies.map { ("\($0["id"]!)", $0) }, uniquingKeysWith: { a, _ in a })
        #expect(server.replies.count == 6)
        for (i, name) in names.enumerated() {
            let reply = try #require(replies["ok-\(i)"])
            #expect(reply["status"] as? String == "success")
            #expect(reply["camelot"] as? String == "8A", "\(name): the shipped model hears A minor")
            #expect(reply["openkey"] as? String == "1m")
            #expect(reply["key"] as? String == "A minor")
            #expect(reply["class_id"] as? Int == 7)
            #expect(reply["filename"] as? String == name)
            #expect(reply["generation"] as? Int == 0)
        }
        #expect(replies["77"]?["status"] as? String == "success", "integer ids are echoed as integers")
        #expect(replies["missing"]?["status"] as? String == "error")
        #expect(replies["missing"]?["error"] as? String == "File not found")
        #expect(replies["missing"]?["filename"] as? String == "missing.mp3")
        #expect(replies["bad"]?["error_code"] as? String == "not_audio")
        #expect((replies["bad"]?["error"] as? String)?.contains("notes.mp3") == true)
    }

    @Test func malformedLinesAreReportedOnStderrAndNeverStopTheServer() throws {
        let folder = try TemporaryFolder()
        let path = try Self.cadence(folder, "a.wav")
        let server = try ServerProcess(["serve", "--model", model])
        server.send("this is not json")
        server.send("[1, 2, 3]")
        server.send(#"{"path": "/no/id.mp3"}"#)
        server.send(#"{"id": "no-path"}"#)
        server.send(#"{"type": "explode"}"#)
        server.send("")
        server.send(String(repeating: "x", count: 2_000_000))
        server.send(id: "after", path: path)
        #expect(server.finish() == 0)

        let ids = server.replies.map { "\($0["id"]!)" }.sorted()
        #expect(ids == ["after", "no-path"])
        #expect(server.replies.first { "\($0["id"]!)" == "no-path" }?["error_code"] as? String == "bad_request")
        for expected in ["line 1 ignored: not JSON", "line 2 ignored: expected a JSON object", "line 3 ignored: the request has no \"id\"",
                         "line 4 ignored: the request has no \"path\"", "line 5 ignored: unknown message type \"explode\"",
                         "line 7 ignored: 2000000 bytes"] {
            #expect(server.stderr.contains(expected), "stderr lacks \(expected): \(server.stderr)")
        }
        #expect(!server.received.contains { $0["unparseable"] != nil }, "stdout holds only JSON lines")
    }

    @Test func resetsUnderLoadDropEveryOlderReply() throws {
        let folder = try TemporaryFolder()
        let long = try Self.cadence(folder, "long.wav", seconds: 60)
        let short = try Self.cadence(folder, "short.wav")
        let server = try ServerProcess(["serve", "--model", model, "--workers", "2", "--no-cache"])
        #expect(server.wait { $0.contains { $0["type"] as? String == "ready" } })

        var generations: [[String]] = [[], [], []]
        for i in 0..<30 { generations[0].append("g0-\(i)"); server.send(id: "g0-\(i)", path: long) }
        server.send(#"{"type": "reset"}"#)
        for i in 0..<10 { generations[1].append("g1-\(i)"); server.send(id: "g1-\(i)", path: i % 2 == 0 ? long : short) }
        server.send(#"{"type": "reset"}"#)
        for i in 0..<10 { generations[2].append("g2-\(i)"); server.send(id: "g2-\(i)", path: short) }
        #expect(server.finish() == 0)

        let (live, answered, idle) = Self.replay(server.received) { id, generation in generations[generation].contains(id) }
        #expect(live == 2)
        #expect(idle == [1, 2])
        #expect(answered.values.allSatisfy { $0 == 1 }, "no request is answered twice")
        for id in generations[2] { #expect(answered[id] == 1, "\(id) of the live generation is answered") }
        #expect(generations[0].filter { answered[$0] != nil }.count < 30, "a reset right after 30 long requests drops some")
    }

    @Test func aResetStopsTheFileBeingAnalyzed() throws {
        let folder = try TemporaryFolder()
        // 15 min of 8 kHz audio: seconds of work, so a reset finds it running.
        let long = folder.path("long.wav")
        try BadInputBatchTests.writeUnsigned8BitWAV(long, rate: 8000, seconds: 900)
        let server = try ServerProcess(["serve", "--model", model, "--workers", "1", "--no-cache"])
        #expect(server.wait { $0.contains { $0["type"] as? String == "ready" } })

        server.send(id: "old", path: long.path)
        usleep(300_000)
        let reset = ContinuousClock.now
        server.send(#"{"type": "reset"}"#)
        #expect(server.wait { $0.contains { $0["type"] as? String == "reset_idle" } })
        let drained = ContinuousClock.now - reset
        // The same file in full, in the same run and under the same load, for comparison.
        server.send(id: "new", path: long.path)
        #expect(server.wait { $0.contains { $0["id"] as? String == "new" } })
        let full = ContinuousClock.now - reset - drained
        #expect(server.finish() == 0)

        #expect(server.replies.map { $0["id"] as? String } == ["new"])
        #expect(drained < full / 3, "reset_idle after \(drained); analyzing the file takes \(full)")
    }

    @Test func heartbeatsKeepComing() throws {
        let server = try ServerProcess(["serve", "--model", model, "--heartbeat-interval", "0.2"])
        #expect(server.wait(timeout: 30) { $0.filter { $0["type"] as? String == "heartbeat" }.count >= 3 })
        #expect(server.finish() == 0)
        #expect(server.received.first?["type"] as? String == "ready")
    }

    @Test func startsAsOpenkeyscanAnalyzerIsStarted() throws {
        let folder = try TemporaryFolder()
        let path = try Self.cadence(folder, "a.wav")
        // openkeyscan's clients run the executable with only -m/--model_path and -w/--workers.
        let server = try ServerProcess(["-m", model, "-w", "1", "--device", "cuda"])
        server.send(id: "1", path: path)
        #expect(server.finish() == 0)
        #expect(server.replies.first?["status"] as? String == "success")
        #expect(server.stderr.contains("--device cuda ignored"))

        let longForm = try ServerProcess(["--model_path", model, "--workers", "2"])
        longForm.send(id: "1", path: path)
        #expect(longForm.finish() == 0)
        #expect(longForm.replies.count == 1)
    }

    @Test func anUnloadableModelNeverSaysReady() throws {
        let server = try ServerProcess(["serve", "--model", "/no/such/model.safetensors"])
        #expect(server.finish() == 2)
        #expect(server.received.isEmpty)
        #expect(server.stderr.contains("/no/such/model.safetensors"))
    }

    @Test func repeatedRequestsComeFromTheCache() throws {
        let folder = try TemporaryFolder()
        let path = try Self.cadence(folder, "a.wav")
        let cache = folder.path("cache.sqlite").path
        for round in 0..<2 {
            let server = try ServerProcess(["serve", "--model", model, "--cache", cache])
            server.send(id: "1", path: path)
            #expect(server.finish() == 0)
            let reply = try #require(server.replies.first)
            #expect(reply["status"] as? String == "success")
            #expect((reply["cached"] as? Bool ?? false) == (round == 1))
        }
    }

    /// KEYSCAN_STRESS=1: thousands of requests with resets among them, more workers than
    /// cores. Every request of the live generation is answered exactly once, none of an
    /// older one after its reset, and the server neither deadlocks nor loses a reply.
    @Test(.enabled(if: ProcessInfo.processInfo.environment["KEYSCAN_STRESS"] == "1"))
    func stressThousandsOfRequestsWithResets() throws {
        let folder = try TemporaryFolder()
        let paths = try (0..<4).map { try Self.cadence(folder, "f\($0).wav", seconds: Double(2 + $0)) }
            + [folder.path("missing.mp3").path]
        let server = try ServerProcess(["serve", "--model", model, "--workers", "6", "--no-cache", "--heartbeat-interval", "0.5"])
        let requests = 3000, resetEvery = 250
        var generationOf: [String: Int] = [:]
        var generation = 0
        for i in 0..<requests {
            if i > 0 && i % resetEvery == 0 {
                server.send(#"{"type": "reset"}"#)
                generation += 1
            }
            let id = "r\(i)"
            generationOf[id] = generation
            server.send(id: id, path: paths[i % paths.count])
            // Pauses let the workers be mid-file when resets arrive, not only queued.
            if i % 50 == 49 { usleep(40_000) }
        }
        #expect(server.finish(timeout: 600) == 0, "the server drained and exited")

        let (live, answered, idle) = Self.replay(server.received) { id, generation in generationOf[id] == generation }
        #expect(live == generation)
        #expect(idle == Array(1...generation))
        #expect(answered.values.allSatisfy { $0 == 1 })
        let lastGeneration = generationOf.filter { $0.value == generation }.map(\.key)
        #expect(lastGeneration.allSatisfy { answered[$0] == 1 }, "all \(lastGeneration.count) live requests answered")
        print("serve stress: \(requests) requests, \(generation) resets, \(answered.count) answered")
    }
}
