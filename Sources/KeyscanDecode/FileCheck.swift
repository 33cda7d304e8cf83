import Glibc

/// Checks `path` before FFmpeg sees it, so the common mistakes get their own error
/// cases instead of avformat_open_input's generic failure, and FFmpeg only ever opens
/// regular files: open() on a FIFO blocks until a writer comes, beyond the reach of
/// FFmpeg's interrupt callback, and a character device (/dev/zero, /dev/urandom) never ends.
func checkReadableFile(_ path: String) throws(DecodeError) {
    var info = stat()
    guard stat(path, &info) == 0 else {
        let error = errno
        switch error {
        case ENOENT, ENOTDIR: throw .fileNotFound(path: path)
        case EACCES: throw .permissionDenied(path: path)
        case ELOOP: throw .symlinkLoop(path: path)
        default: throw .readFailed(path: path, reason: "stat: \(String(cString: strerror(error)))")
        }
    }
    let type = info.st_mode & S_IFMT
    if type == S_IFDIR { throw .isDirectory(path: path) }
    if type != S_IFREG { throw .notAFile(path: path, kind: fileKind(type)) }
    // stat needs only search permission on the directories; decoding needs read permission.
    guard access(path, R_OK) == 0 else {
        let error = errno
        if error == EACCES { throw .permissionDenied(path: path) }
        throw .readFailed(path: path, reason: "access: \(String(cString: strerror(error)))")
    }
    if info.st_size == 0 { throw .notAudio(path: path, reason: "empty file") }
}

/// What `stat` calls a file that is neither a regular file nor a directory.
private func fileKind(_ type: mode_t) -> String {
    switch type {
    case S_IFIFO: "a named pipe (FIFO)"
    case S_IFSOCK: "a socket"
    case S_IFCHR: "a character device"
    case S_IFBLK: "a block device"
    default: "of an unknown type (mode 0o\(String(type, radix: 8)))"
    }
}
