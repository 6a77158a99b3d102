import Yams

/// Reads one policy-shaped YAML document into located nodes: the gate first, then Yams' composer.
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
        let problems = YAMLGate(source: source).check()
        guard problems.isEmpty else { return .failure(DiagnosticList(problems)) }
        do {
            let parser = try Parser(yaml: source.text)
            guard let root = try parser.singleRoot() else {
                return .failure(DiagnosticList([.error("yaml.empty", "the file is empty", at: start)]))
            }
            return .success(convert(root, in: source))
        } catch {
            return .failure(
                DiagnosticList([
                    .error(
                        "yaml.syntax", "the YAML cannot be parsed", at: start)
                ]))
        }
    }

    private static func convert(_ node: Node, in source: SourceFile) -> YAMLNode {
        let location = source.location(line: node.mark?.line ?? 1, column: node.mark?.column ?? 1)
        switch node {
        case .scalar(let scalar):
            return .scalar(YAMLScalar(text: scalar.string, isPlain: scalar.style == .plain, location: location))
        case .sequence(let sequence):
            return .sequence(sequence.map { convert($0, in: source) }, location)
        case .mapping(let mapping):
            let entries = mapping.map { key, value in
                let keyLocation = source.location(line: key.mark?.line ?? 1, column: key.mark?.column ?? 1)
                return YAMLEntry(key: Located(key.string ?? "", at: keyLocation), value: convert(value, in: source))
            }
            return .mapping(entries, location)
        case .alias:
            preconditionFailure("the gate refuses aliases before composing")
        }
    }
}

/// Diagnostics as an `Error`, for `Result`.
public struct DiagnosticList: Error, Sendable {
    /// The diagnostics, sorted by position.
    public let diagnostics: [Diagnostic]

    /// Wraps `diagnostics`, sorting them.
    public init(_ diagnostics: [Diagnostic]) { self.diagnostics = diagnostics.sorted() }
}
