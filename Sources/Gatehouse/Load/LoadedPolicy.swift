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
        return Self.failure(path, sources, diagnostics)
    }

    private static func failure(_ path: String, _ sources: [SourceFile], _ diagnostics: [Diagnostic]) -> String {
        DiagnosticRenderer(sources: sources).render(diagnostics, as: .text)
            + "error: \(path) has errors; fix them first (`gatehouse check \(path)`)\n"
    }

    /// The policy, which compiled, made unusable by `problems` found after checking (an assertion
    /// key the server cannot read).
    public func unusable(because problems: [Diagnostic]) -> UnusablePolicy {
        let all = (diagnostics + problems).sorted()
        return UnusablePolicy(description: Self.failure(path, sources, all), diagnostics: all)
    }
}

extension LoadedPolicy {
    /// A policy whose file could not be read, for `error`.
    public static func unreadable(_ path: String, _ error: FileReadError) -> LoadedPolicy {
        LoadedPolicy(path: path, sources: [], diagnostics: [], policy: nil, compiled: nil, unreadable: error)
    }

    /// The compiled policy, or the policy's ``failure`` as an error.
    public func usable() -> Result<CompiledPolicy, UnusablePolicy> {
        guard let compiled else {
            return .failure(UnusablePolicy(description: failure ?? "", diagnostics: diagnostics))
        }
        return .success(compiled)
    }
}
