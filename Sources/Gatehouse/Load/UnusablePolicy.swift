/// A policy that cannot be used: what to tell the user, and the diagnostics behind it.
public struct UnusablePolicy: Error, Sendable, CustomStringConvertible {
    /// The diagnostics and a line that says the policy cannot be used, rendered as text.
    public let description: String
    /// Errors and warnings, sorted by position (empty when the file could not be read).
    public let diagnostics: [Diagnostic]
}

extension UnusablePolicy {
    /// One line for logs and `/readyz`: the first error with its place and code, or the first
    /// line of ``description`` when the file itself could not be read. No source excerpt, so no
    /// secret written in the policy can show.
    public var summary: String {
        guard let first = diagnostics.first(where: { $0.severity == .error }) else {
            let line = description.split(separator: "\n").first.map(String.init) ?? "the policy cannot be used"
            return line.hasPrefix("error: ") ? String(line.dropFirst(7)) : line
        }
        let more = diagnostics.count(where: { $0.severity == .error }) - 1
        return "\(first.location.map { "\($0): " } ?? "")\(first.message) [\(first.code)]"
            + (more > 0 ? " (and \(more) more \(more == 1 ? "error" : "errors"))" : "")
    }
}
