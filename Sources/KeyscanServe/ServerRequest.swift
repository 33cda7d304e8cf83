import Foundation
import KeyscanResults

/// How a client names a request; echoed back unchanged in the reply.
public enum RequestID: Hashable, Sendable, CustomStringConvertible {
    case string(String)
    case integer(Int64)

    public var json: JSONValue {
        switch self {
        case .string(let s): .string(s)
        case .integer(let n): .int(Int(n))
        }
    }

    public var description: String {
        switch self {
        case .string(let s): "\"\(s)\""
        case .integer(let n): String(n)
        }
    }
}

/// One line a client sent, understood.
public enum ServerRequest: Equatable, Sendable {
    /// `{"id": "…", "path": "/music/a.mp3"}`: analyze one file.
    case analyze(id: RequestID, path: String)
    /// `{"type": "reset"}`: abandon all earlier work and start a new generation.
    case reset

    /// Parses one line of the NDJSON protocol (docs/serve.md).
    public static func parse(_ line: String) -> Result<ServerRequest, RequestError> {
        let fields: RawRequest
        do {
            fields = try JSONDecoder().decode(RawRequest.self, from: Data(line.utf8))
        } catch DecodingError.typeMismatch {
            return .failure(RequestError("expected a JSON object such as {\"id\": \"1\", \"path\": \"/music/a.mp3\"}"))
        } catch {
            return .failure(RequestError("not JSON (\(Self.describe(error)))"))
        }
        switch fields.type {
        case nil, .null:
            break
        case .string("reset"):
            return .success(.reset)
        case .string(let type):
            return .failure(RequestError("unknown message type \"\(type)\" (known: \"reset\", or a request with \"id\" and \"path\")"))
        default:
            return .failure(RequestError("\"type\" must be a string"))
        }
        let id: RequestID
        switch fields.id {
        case .string(let s): id = .string(s)
        case .integer(let n): id = .integer(n)
        case nil, .null: return .failure(RequestError("the request has no \"id\", so no reply could be matched to it"))
        default: return .failure(RequestError("\"id\" must be a string or an integer"))
        }
        switch fields.path {
        case .string(let path) where path.isEmpty:
            return .failure(RequestError("\"path\" is empty", id: id))
        case .string(let path) where path.utf8.contains(0):
            return .failure(RequestError("\"path\" contains a NUL character", id: id))
        case .string(let path):
            return .success(.analyze(id: id, path: path))
        case nil, .null:
            return .failure(RequestError("the request has no \"path\"", id: id))
        default:
            return .failure(RequestError("\"path\" must be a string", id: id))
        }
    }

    private static func describe(_ error: any Error) -> String {
        if case DecodingError.dataCorrupted(let context) = error {
            if let underlying = context.underlyingError { return "\(underlying.localizedDescription)" }
            return context.debugDescription
        }
        return "\(error)"
    }
}

/// Why a line was not a request. With an `id`, the client also gets an error reply.
public struct RequestError: Error, Equatable, Sendable {
    public let message: String
    public let id: RequestID?

    public init(_ message: String, id: RequestID? = nil) {
        self.message = message
        self.id = id
    }
}

/// The fields keyscan reads, each whatever JSON the client sent (others are ignored).
private struct RawRequest: Decodable {
    var type: Scalar?
    var id: Scalar?
    var path: Scalar?
}

/// A JSON value, kept only as precisely as a request needs.
private enum Scalar: Decodable, Equatable {
    case string(String)
    case integer(Int64)
    case null
    case other

    init(from decoder: any Decoder) throws {
        let container = try decoder.singleValueContainer()
        if container.decodeNil() {
            self = .null
        } else if let string = try? container.decode(String.self) {
            self = .string(string)
        } else if (try? container.decode(Bool.self)) != nil {
            self = .other
        } else if let integer = try? container.decode(Int64.self) {
            self = .integer(integer)
        } else {
            self = .other
        }
    }
}
