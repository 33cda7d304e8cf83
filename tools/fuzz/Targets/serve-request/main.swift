import Foundation
import FuzzSupport
import KeyscanResults
import KeyscanServe

// Arbitrary bytes as one line of `keyscan serve`'s input → `ServerRequest.parse`, as the
// server's read loop calls it. Every line must parse or give a `RequestError`, never crash
// or hang; and whatever parses must come back intact through the reply the server would
// send: our JSON writer has to emit valid JSON that echoes the id and path exactly, or a
// client would lose the reply.

fuzz { bytes in
    // The read loop hands over only valid UTF-8 without its newline (LineReader).
    guard let line = String(validating: bytes, as: UTF8.self), !line.contains("\n") else { return }
    switch ServerRequest.parse(line) {
    case .success(.reset):
        return
    case .success(.analyze(let id, let path)):
        precondition(!path.isEmpty && !path.utf8.contains(0), "an unusable path was accepted")
        let result = AnalysisResult(path: path, outcome: .failure(code: "file_not_found", message: "no such file: \(path)"))
        check(ServerReply.analysis(result, id: id, generation: 3), id: id, path: path)
    case .failure(let error):
        precondition(!error.message.isEmpty, "an error without a message")
        if let id = error.id { check(ServerReply.rejected(error, id: id, generation: 0), id: id, path: nil) }
    }
}

/// The reply must be one line of JSON holding `id` as sent (and `path`, if given).
func check(_ reply: JSONValue, id: RequestID, path: String?) {
    let text = reply.serialized
    precondition(!text.contains("\n"), "a reply spans lines: \(text)")
    guard let object = (try? JSONSerialization.jsonObject(with: Data(text.utf8))) as? [String: Any] else {
        preconditionFailure("a reply is not JSON: \(text)")
    }
    switch id {
    case .string(let s): precondition(object["id"] as? String == s, "id \(s) came back as \(object["id"] ?? "nothing")")
    case .integer(let n): precondition((object["id"] as? NSNumber)?.int64Value == n, "id \(n) came back as \(object["id"] ?? "nothing")")
    }
    if let path { precondition(object["path"] as? String == path, "path came back as \(object["path"] ?? "nothing")") }
}
