import Foundation

/// Renders diagnostics as text (with the source line and a caret), JSON, or GitHub annotations.
public struct DiagnosticRenderer: Sendable {
    /// The output formats.
    public enum Format: String, Sendable, CaseIterable {
        /// `file:line:col: error[code]: message`, the source line, a caret, and help.
        case text
        /// One JSON document: `{"diagnostics": [...]}`.
        case json
        /// GitHub Actions workflow commands (`::error file=...::message`).
        case github
    }

    private let sources: [String: SourceFile]

    /// Creates a renderer that can quote lines from `sources`.
    public init(sources: [SourceFile]) {
        self.sources = Dictionary(sources.map { ($0.name, $0) }, uniquingKeysWith: { first, _ in first })
    }

    /// Renders `diagnostics` in `format`; text and GitHub output end with a newline.
    public func render(_ diagnostics: [Diagnostic], as format: Format) -> String {
        switch format {
        case .text: return diagnostics.map(text).joined()
        case .json: return json(diagnostics)
        case .github: return diagnostics.map(github).joined()
        }
    }

    /// One diagnostic as text.
    public func text(_ diagnostic: Diagnostic) -> String {
        var out = ""
        if let location = diagnostic.location { out += "\(location): " }
        out += "\(diagnostic.severity.rawValue)[\(diagnostic.code)]: \(diagnostic.message)\n"
        if let location = diagnostic.location,
            let full = sources[location.file]?.line(location.line)
        {
            let line = diagnostic.secretColumn.map { Substring(full.prefix(max(0, $0 - 1)) + "<redacted>") } ?? full
            let gutter = String(location.line)
            let pad = String(repeating: " ", count: gutter.count)
            let (shown, column) = Self.window(line, column: location.column)
            let caretIndent = shown.prefix(max(0, column - 1)).map { $0 == "\t" ? "\t" : " " }
            out += "\(pad) |\n\(gutter) | \(shown)\n\(pad) | \(caretIndent.joined())^\n"
        }
        if let help = diagnostic.help { out += "  = help: \(help)\n" }
        return out
    }

    /// At most ``maxLine`` characters of `line` around `column`, and the column within them.
    private static func window(_ line: Substring, column: Int) -> (String, Int) {
        guard line.count > maxLine else { return (String(line), column) }
        let start = max(0, min(column - 1 - maxLine / 2, line.count - maxLine))
        let piece = line.dropFirst(start).prefix(maxLine)
        let prefix = start > 0 ? "…" : ""
        let suffix = start + maxLine < line.count ? "…" : ""
        return (prefix + piece + suffix, column - start + prefix.count)
    }

    private static let maxLine = 100

    private func github(_ diagnostic: Diagnostic) -> String {
        var properties: [String] = []
        if let location = diagnostic.location {
            properties += ["file=\(location.file)", "line=\(location.line)", "col=\(location.column)"]
        }
        properties.append("title=\(diagnostic.code)")
        var message = diagnostic.message
        if let help = diagnostic.help { message += " (help: \(help))" }
        let command = diagnostic.severity == .error ? "error" : "warning"
        let escaped = properties.map(Self.escapeProperty).joined(separator: ",")
        return "::\(command) \(escaped)::\(Self.escapeData(message))\n"
    }

    private func json(_ diagnostics: [Diagnostic]) -> String {
        struct Entry: Encodable {
            let code, severity, message: String
            let file: String?
            let line, column: Int?
            let help: String?
        }
        let entries = diagnostics.map {
            Entry(
                code: $0.code, severity: $0.severity.rawValue, message: $0.message,
                file: $0.location?.file, line: $0.location?.line, column: $0.location?.column,
                help: $0.help)
        }
        return JSONText.encode(["diagnostics": entries])
    }

    private static func escapeData(_ value: String) -> String {
        value.replacingOccurrences(of: "%", with: "%25")
            .replacingOccurrences(of: "\r", with: "%0D")
            .replacingOccurrences(of: "\n", with: "%0A")
    }

    private static func escapeProperty(_ value: String) -> String {
        escapeData(value).replacingOccurrences(of: ":", with: "%3A")
            .replacingOccurrences(of: ",", with: "%2C")
    }
}
