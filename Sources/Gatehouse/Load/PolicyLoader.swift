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
            return LoadedPolicy(path: path, sources: [], diagnostics: [], policy: nil, compiled: nil, unreadable: error)
        }
        return load(source, files: files)
    }

    /// Checks and compiles the policy text `source` (already read), reading the files it names
    /// through `files`.
    public static func load(_ source: SourceFile, files: any FileAccess) -> LoadedPolicy {
        let checked = PolicyChecker.check(source, files: files)
        return LoadedPolicy(
            path: source.name, sources: [source] + checked.referenced, diagnostics: checked.diagnostics,
            policy: checked.policy, compiled: checked.policy.map(PolicyCompiler.compile), unreadable: nil)
    }
}

/// A policy as loaded: what was read, every diagnostic, and the compiled policy when it has no
/// error.
public struct LoadedPolicy: Sendable {
    /// The policy's path, as given.
    public let path: String
    /// The policy's text and every file it names, as read (for rendering diagnostics).
    public let sources: [SourceFile]
    /// Errors and warnings, sorted by position.
    public let diagnostics: [Diagnostic]
    /// The checked policy; nil when it could not be read or has errors.
    public let policy: Policy?
    /// The compiled policy; nil when it could not be read or has errors.
    public let compiled: CompiledPolicy?
    /// Why the policy file itself could not be read.
    public let unreadable: FileReadError?

    /// What to tell the user when the policy cannot be used, nil when it can: the file's read
    /// error, or every diagnostic and a line that says so.
    public var failure: String? {
        if let unreadable { return "error: \(unreadable.description)\n" }
        guard compiled == nil else { return nil }
        return DiagnosticRenderer(sources: sources).render(diagnostics, as: .text)
            + "error: \(path) has errors; fix them first (`gatehouse check \(path)`)\n"
    }
}

extension LoadedPolicy {
    /// The compiled policy, or the policy's ``failure`` as an error.
    public func usable() -> Result<CompiledPolicy, UnusablePolicy> {
        guard let compiled else {
            return .failure(UnusablePolicy(description: failure ?? "", diagnostics: diagnostics))
        }
        return .success(compiled)
    }
}

/// A policy that cannot be used: what to tell the user, and the diagnostics behind it.
public struct UnusablePolicy: Error, Sendable, CustomStringConvertible {
    /// The diagnostics and a line that says the policy cannot be used, rendered as text.
    public let description: String
    /// Errors and warnings, sorted by position (empty when the file could not be read).
    public let diagnostics: [Diagnostic]
}
