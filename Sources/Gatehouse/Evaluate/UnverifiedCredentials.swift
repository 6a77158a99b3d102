import Foundation

/// The verifier of dry runs: it verifies nothing, so a request that carries credentials is never
/// allowed by accident. Simulate the caller instead, or use a verifier that checks tokens.
public struct UnverifiedCredentials: CredentialVerifier {
    /// Creates the verifier.
    public init() {}

    public func verify(_ credential: PreparedCredential, policy: CompiledPolicy, accepted: Acceptance, now: Date) async
        -> Verification
    {
        .rejected(
            Rejection(
                code: .credentialsUnverified,
                reason:
                    "this dry run does not verify credentials: simulate the caller with `--provider ID --claims JSON` or `--api-token ID`"
            ))
    }
}
