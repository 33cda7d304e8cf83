/// What happened to a file's key tag when keyscan was asked to write it (`--write-tags`).
public struct TagReport: Sendable, Equatable {
    public enum Status: String, Sendable {
        /// keyscan wrote `value` into the file's tag.
        case written
        /// The file already held a key, `value`, and was left alone.
        case kept
        /// Writing failed (`message` says why); the file is unchanged, `value` is what
        /// keyscan tried to write.
        case failed
    }

    public let status: Status
    /// The key in the file's tag now (written, kept), or the one keyscan tried to write (failed).
    public let value: String
    /// Why the write failed; nil unless `status` is `.failed`.
    public let message: String?

    public init(status: Status, value: String, message: String? = nil) {
        self.status = status
        self.value = value
        self.message = message
    }
}
