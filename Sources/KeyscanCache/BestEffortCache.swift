import KeyscanResults
import Synchronization

/// The cache as `analyze` and `serve` use it: it never fails a run. A cache that cannot be
/// opened, read or written is reported once through `warn` and switched off; analysis goes
/// on as if there were none.
public final class BestEffortCache: Sendable {
    /// What a lookup found.
    public enum Lookup: Sendable {
        /// A stored result, valid for the file as it is now.
        case hit(AnalysisResult)
        /// Nothing usable: analyze, then `keep` the result with this fingerprint (taken
        /// before the analysis, so a file changed meanwhile is analyzed again next time).
        case miss(FileFingerprint?)
    }

    private let cache: Mutex<ResultCache?>
    private let model: String
    private let warn: @Sendable (String) -> Void

    /// - Parameters:
    ///   - path: the SQLite file, or nil for no cache at all.
    ///   - model: the identity of the model and pipeline results come from.
    public init(path: String?, model: String, warn: @escaping @Sendable (String) -> Void) {
        self.model = model
        self.warn = warn
        var opened: ResultCache?
        if let path {
            do { opened = try ResultCache(path: path) }
            catch { warn("\(error); continuing without a cache") }
        }
        cache = Mutex(opened)
    }

    /// A disabled cache.
    public static func none() -> BestEffortCache { BestEffortCache(path: nil, model: "", warn: { _ in }) }

    public var isEnabled: Bool { cache.withLock { $0 != nil } }

    /// The stored result for `path`, or what to store after analyzing it.
    public func lookup(path: String) -> Lookup {
        guard let cache = cache.withLock({ $0 }), let file = FileFingerprint(of: path) else { return .miss(nil) }
        do {
            if let result = try cache.result(for: file, model: model, displayPath: path) { return .hit(result) }
        } catch {
            disable(error)
            return .miss(nil)
        }
        return .miss(file)
    }

    /// Stores `result` if it would come out the same next time.
    public func keep(_ result: AnalysisResult, for file: FileFingerprint?) {
        guard let file, ResultCache.isWorthKeeping(result), let cache = cache.withLock({ $0 }) else { return }
        do { try cache.store(result, for: file, model: model) }
        catch { disable(error) }
    }

    private func disable(_ error: CacheError) {
        let wasEnabled = cache.withLock { cache in
            defer { cache = nil }
            return cache != nil
        }
        if wasEnabled { warn("\(error); continuing without the cache") }
    }
}
