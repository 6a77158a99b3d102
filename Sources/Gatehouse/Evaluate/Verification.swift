/// The outcome of verifying credentials.
public enum Verification: Sendable {
    /// The caller is who the credentials say.
    case verified(Identity)
    /// The credentials are refused (401).
    case rejected(Rejection)
    /// The provider could not be asked and nothing is cached (503, fail closed).
    case unavailable(provider: String, reason: String)
}
