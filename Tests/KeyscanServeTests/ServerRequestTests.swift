import Testing
@testable import KeyscanServe

@Suite struct ServerRequestTests {
    @Test func openkeyscanRequestsParse() throws {
        #expect(try ServerRequest.parse(#"{"id": "abc-1", "path": "/music/a.mp3"}"#).get() == .analyze(id: .string("abc-1"), path: "/music/a.mp3"))
        #expect(try ServerRequest.parse(#"{"id": 42, "path": "/m/ü 😀 \"q\".flac", "extra": [1, {"x": null}]}"#).get()
                == .analyze(id: .integer(42), path: "/m/ü 😀 \"q\".flac"))
        #expect(try ServerRequest.parse(#"{"type": "reset"}"#).get() == .reset)
        #expect(try ServerRequest.parse(#"{"type": null, "id": "1", "path": "a.mp3"}"#).get() == .analyze(id: .string("1"), path: "a.mp3"))
    }

    @Test(arguments: [
        ("", "not JSON"),
        ("{", "not JSON"),
        ("[1, 2]", "expected a JSON object"),
        ("\"path\"", "expected a JSON object"),
        (#"{"type": "shutdown"}"#, "unknown message type \"shutdown\""),
        (#"{"type": 3}"#, "\"type\" must be a string"),
        (#"{"path": "/a.mp3"}"#, "no \"id\""),
        (#"{"id": true, "path": "/a.mp3"}"#, "\"id\" must be a string or an integer"),
        (#"{"id": 1.5, "path": "/a.mp3"}"#, "\"id\" must be a string or an integer"),
    ])
    func malformedLinesSayWhy(line: String, message: String) {
        guard case .failure(let error) = ServerRequest.parse(line) else {
            Issue.record("\(line) parsed")
            return
        }
        #expect(error.message.contains(message), "\(error.message)")
        #expect(error.id == nil)
    }

    @Test func badPathsAreRejectedWithTheirID() {
        for (line, message) in [(#"{"id": "7"}"#, "no \"path\""), (#"{"id": "7", "path": 5}"#, "\"path\" must be a string"),
                                (#"{"id": "7", "path": ""}"#, "\"path\" is empty"), (#"{"id": "7", "path": "a\u0000b"}"#, "NUL")] {
            guard case .failure(let error) = ServerRequest.parse(line) else {
                Issue.record("\(line) parsed")
                continue
            }
            #expect(error.id == .string("7"))
            #expect(error.message.contains(message), "\(error.message)")
        }
    }
}
