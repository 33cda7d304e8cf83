import Glibc

/// Checks `path` before FFmpeg sees it, so the common mistakes get their own error
/// cases instead of avformat_open_input's generic failure.
func checkReadableFile(_ path: String) throws(DecodeError) {
    var info = stat()
    guard stat(path, &info) == 0 else {
        let error = errno
        switch error {
        case ENOENT, ENOTDIR: throw .fileNotFound(path: path)
        case EACCES: throw .permissionDenied(path: path)
        default: throw .readFailed(path: path, reason: "stat: \(String(cString: strerror(error)))")
        }
    }
    let type = info.st_mode & S_IFMT
    if type == S_IFDIR { throw .isDirectory(path: path) }
    // stat needs only search permission on the directories; decoding needs read permission.
    guard access(path, R_OK) == 0 else {
        let error = errno
        if error == EACCES { throw .permissionDenied(path: path) }
        throw .readFailed(path: path, reason: "access: \(String(cString: strerror(error)))")
    }
    if type == S_IFREG && info.st_size == 0 { throw .notAudio(path: path, reason: "empty file") }
}
