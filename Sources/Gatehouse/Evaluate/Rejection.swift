/// Why credentials were refused: a code and a one-line reason with no secret in it.
public struct Rejection: Error, Sendable, Hashable {
    /// The code of the refusal, such as ``DecisionCode/tokenExpired``.
    public let code: DecisionCode
    /// One-line reason.
    public let reason: String

    /// Creates a rejection.
    public init(code: DecisionCode, reason: String) {
        self.code = code
        self.reason = reason
    }
}
