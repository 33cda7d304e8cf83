import KeyscanResults

/// What `keyscan serve` writes to stdout, one JSON object per line.
///
/// The fields openkeyscan-analyzer sends keep its names and meanings (`status` is
/// `success` or `error`, `class_id` is the Camelot index, `error` is a sentence), so its
/// clients work unchanged; keyscan's own fields come after them.
public enum ServerReply {
    /// Sent once the model is loaded. `version` (keyscan's) and `model` (the model and
    /// pipeline identity the cache keys results by) are keyscan's own fields: a batch
    /// runner records them beside each result, to know which keyscan produced it.
    public static func ready(version: String, model: String) -> JSONValue {
        .object([("type", .string("ready")), ("version", .string(version)), ("model", .string(model))])
    }
    public static var heartbeat: JSONValue { .object([("type", .string("heartbeat"))]) }

    public static func resetComplete(generation: Int) -> JSONValue {
        .object([("type", .string("reset_complete")), ("generation", .int(generation))])
    }

    public static func resetIdle(generation: Int) -> JSONValue {
        .object([("type", .string("reset_idle")), ("generation", .int(generation))])
    }

    /// The reply to an analysis request.
    public static func analysis(_ result: AnalysisResult, id: RequestID, generation: Int) -> JSONValue {
        var fields: [(String, JSONValue)] = [("id", id.json)]
        /// openkeyscan's error fields, then keyscan's code.
        func error(_ message: String, code: String) -> [(String, JSONValue)] {
            [("status", .string("error")), ("error", .string(message)), ("filename", .string(fileName(result.path))),
             ("generation", .int(generation)), ("path", .string(result.path)), ("error_code", .string(code))]
        }
        switch result.outcome {
        case .success(let estimate, let duration):
            let key = estimate.key
            fields += [
                ("status", .string("success")),
                ("camelot", .string(key.camelot)),
                ("openkey", .string(key.openKey)),
                ("key", .string(key.name)),
                ("class_id", .int(key.index)),
                ("filename", .string(fileName(result.path))),
                ("generation", .int(generation)),
                ("path", .string(result.path)),
                ("confidence", .number(estimate.confidence, decimals: 4)),
                ("alternatives", estimate.alternativesJSON),
                ("duration_s", .number(duration, decimals: 2)),
            ]
        case .noKey(let code, let message, let duration):
            // openkeyscan's clients know success and error; a track without a key is not a
            // success for them, and the reason says why.
            fields += error(message, code: code) + [("no_key", .bool(true)), ("duration_s", .number(duration, decimals: 2))]
        case .failure(let code, let message):
            // openkeyscan's clients may compare this sentence.
            fields += error(code == "file_not_found" ? "File not found" : message, code: code)
        }
        if let tonality = result.tonality { fields.append(("tonality", .number(tonality, decimals: 4))) }
        if result.succeeded { fields += result.timelineFields }
        if !result.warnings.isEmpty { fields.append(("warnings", .array(result.warnings.map { .string($0) }))) }
        if result.isCached { fields.append(("cached", .bool(true))) }
        return .object(fields)
    }

    /// The reply to a request that was understood enough to have an id, but not to be run.
    public static func rejected(_ error: RequestError, id: RequestID, generation: Int) -> JSONValue {
        .object([("id", id.json), ("status", .string("error")), ("error", .string(error.message)),
                 ("filename", .string("")), ("generation", .int(generation)), ("error_code", .string("bad_request"))])
    }

    /// The last path component, as openkeyscan reports it.
    static func fileName(_ path: String) -> String {
        path.split(separator: "/", omittingEmptySubsequences: true).last.map(String.init) ?? path
    }
}
