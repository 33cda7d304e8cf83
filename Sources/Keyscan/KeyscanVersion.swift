/// keyscan's version: the one place it is defined. `keyscan --version` prints it,
/// `serve`'s ready message and the Ray runner's rows carry it, and the Debian package is
/// named after it (tools/package/build-deb.sh reads it from the built binary).
///
/// Semantic versioning, bumped with every change a user can see (docs/install.md,
/// "Versions"): major for a change that breaks a documented interface (a JSON field, an
/// option, an exit code); minor for a new feature, a new shipped model or results that
/// change; patch for a fix that changes no documented output.
public enum KeyscanVersion {
    public static let current = "2.3.0"
}
