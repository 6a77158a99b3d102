/// The one way from a policy's path to a policy that decides: read it (and the files it names)
/// through a ``FileAccess``, check it, compile it. `check`, `evaluate`, `test`, `diff` and `serve`
/// all load through here, and all report a policy that cannot be used the same way.
public enum PolicyLoader {
    /// Reads, checks and compiles the policy at `path`.
    public static func load(_ path: String, files: any FileAccess) -> LoadedPolicy {
        let source: SourceFile
        do {
            source = try files.read(path)
        } catch {
            return .unreadable(path, error)
        }
        return load(source, files: files)
    }

    /// Checks and compiles the policy text `source` (already read), reading the files it names
    /// through `files`.
    public static func load(_ source: SourceFile, files: any FileAccess) -> LoadedPolicy {
        let checked = PolicyChecker.check(source, files: files)
        let policy = checked.policy?.compacted()
        return LoadedPolicy(
            path: source.name, sources: [source] + checked.referenced, diagnostics: checked.diagnostics,
            policy: policy, compiled: policy.map(PolicyCompiler.compile), unreadable: nil)
    }
}
