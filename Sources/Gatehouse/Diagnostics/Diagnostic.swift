/// One problem found in a policy or an input file.
///
/// Messages follow one style: a single lowercase line without a final period, with user input in
/// backticks; extra advice goes to `help`.
public struct Diagnostic: Sendable, Hashable {
    /// How serious a diagnostic is.
    public enum Severity: String, Sendable, Hashable, Codable {
        /// The policy cannot be used.
        case error
        /// The policy works, but probably not as its author meant.
        case warning
    }

    /// Stable identifier, such as `check.unknown-key`.
    public let code: String
    /// Error or warning.
    public let severity: Severity
    /// One-line description.
    public let message: String
    /// Where the problem is, when it has a place.
    public let location: SourceLocation?
    /// Extra advice, such as "did you mean `issuer`?".
    public let help: String?
    /// The column from which the source line holds a secret: excerpts show it redacted.
    public private(set) var secretColumn: Int?

    /// Creates a diagnostic.
    public init(
        _ severity: Severity, _ code: String, _ message: String,
        at location: SourceLocation?, help: String? = nil
    ) {
        self.code = code
        self.severity = severity
        self.message = message
        self.location = location
        self.help = help
    }

    /// Creates an error.
    public static func error(
        _ code: String, _ message: String, at location: SourceLocation?, help: String? = nil
    ) -> Diagnostic {
        Diagnostic(.error, code, message, at: location, help: help)
    }

    /// Creates a warning.
    public static func warning(
        _ code: String, _ message: String, at location: SourceLocation?, help: String? = nil
    ) -> Diagnostic {
        Diagnostic(.warning, code, message, at: location, help: help)
    }
}

extension Diagnostic {
    /// The same diagnostic, with the source line's text from `column` on kept out of excerpts.
    public func hidingSecret(from column: Int) -> Diagnostic {
        var hidden = self
        hidden.secretColumn = column
        return hidden
    }

    /// The code of the warning that a rule can never match, which `diff` reads back.
    public static let shadowedRule = "check.shadowed-rule"
}

extension Diagnostic: Comparable {
    /// Orders by file, line and column; diagnostics without a place come first.
    public static func < (lhs: Diagnostic, rhs: Diagnostic) -> Bool {
        switch (lhs.location, rhs.location) {
        case let (l?, r?) where l != r: return l < r
        case (nil, _?): return true
        case (_?, nil): return false
        default: return (lhs.code, lhs.message) < (rhs.code, rhs.message)
        }
    }
}

extension Array where Element == Diagnostic {
    /// True when any diagnostic is an error.
    public var hasErrors: Bool { contains { $0.severity == .error } }
}
