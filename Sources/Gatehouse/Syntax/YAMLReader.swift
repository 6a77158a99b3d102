/// Reads one policy-shaped YAML document into located nodes, through libyaml's events (``YAMLGate``).
public enum YAMLReader {
    /// The largest document read, in bytes.
    public static let maxBytes = 4 * 1024 * 1024

    /// Parses `source`; returns the root node, or the diagnostics that prevented reading it.
    public static func read(_ source: SourceFile) -> Result<YAMLNode, DiagnosticList> {
        let start = source.location(line: 1, column: 1)
        guard source.text.utf8.count <= maxBytes else {
            return .failure(
                DiagnosticList([
                    .error(
                        "yaml.too-large", "the file is larger than 4 MiB", at: start)
                ]))
        }
        let outcome = YAMLGate(source: source).read()
        guard outcome.problems.isEmpty else { return .failure(DiagnosticList(outcome.problems)) }
        guard let root = outcome.root else {
            return .failure(DiagnosticList([.error("yaml.empty", "the file is empty", at: start)]))
        }
        return .success(root)
    }
}

/// Diagnostics as an `Error`, for `Result`.
public struct DiagnosticList: Error, Sendable {
    /// The diagnostics, sorted by position.
    public let diagnostics: [Diagnostic]

    /// Wraps `diagnostics`, sorting them.
    public init(_ diagnostics: [Diagnostic]) { self.diagnostics = diagnostics.sorted() }
}
