import Foundation

/// Verifies credentials for the evaluator. Implementations do the I/O (JWKS, userinfo,
/// introspection, bcrypt); the engine never does.
///
/// A decision calls ``prepare(_:)`` once, then ``verifyImmediately(_:policy:schemes:now:)``, and
/// ``verify(_:policy:schemes:now:)`` only when that could not answer; what `prepare` computed (the
/// credential's digest) travels with the pending decision, so no step computes it again.
public protocol CredentialVerifier: Sendable {
    /// What verification looks up a credential by, computed once per decision: its digest.
    func prepare(_ credential: Credential) -> PreparedCredential

    /// The verification when it needs no I/O (a cached answer, an API token), else nil. It must
    /// agree with ``verify(_:policy:schemes:now:)`` whenever it answers.
    func verifyImmediately(_ credential: PreparedCredential, policy: CompiledPolicy, accepted: Acceptance, now: Date)
        -> Verification?

    /// Verifies `credential` under `policy` at `now`. `accepted` is what the matched rule accepts,
    /// so a verifier can skip work that could not lead to an allow, and asks no provider the rule
    /// does not accept.
    func verify(_ credential: PreparedCredential, policy: CompiledPolicy, accepted: Acceptance, now: Date) async
        -> Verification
}

extension CredentialVerifier {
    /// No digest: a verifier that keeps nothing about credentials.
    public func prepare(_ credential: Credential) -> PreparedCredential {
        PreparedCredential(credential, digest: nil)
    }

    /// Never answers without waiting.
    public func verifyImmediately(
        _ credential: PreparedCredential, policy: CompiledPolicy, accepted: Acceptance, now: Date
    ) -> Verification? { nil }
}

extension CredentialVerifier {
    /// Prepares and verifies `credential` in one step, outside a decision, for a rule that accepts
    /// `schemes` from any provider.
    public func verify(_ credential: Credential, policy: CompiledPolicy, schemes: SchemeSet, now: Date) async
        -> Verification
    {
        await verify(prepare(credential), policy: policy, accepted: Acceptance(schemes: schemes), now: now)
    }
}
