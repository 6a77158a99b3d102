/// A policy that cannot be used: what to tell the user, and the diagnostics behind it.
public struct UnusablePolicy: Error, Sendable, CustomStringConvertible {
    /// The diagnostics and a line that says the policy cannot be used, rendered as text.
    public let description: String
    /// Errors and warnings, sorted by position (empty when the file could not be read).
    public let diagnostics: [Diagnostic]
}
