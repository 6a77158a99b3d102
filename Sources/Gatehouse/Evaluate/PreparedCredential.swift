/// A credential read from a request, with the digest its verifier looks it up by.
public struct PreparedCredential: Sendable {
    /// The credential.
    public let credential: Credential
    /// The SHA-256 of its secret, when the verifier computed one: the key of its caches and, cut
    /// short, the credential's name in decision logs.
    public let digest: CredentialDigest?

    /// Pairs `credential` with its `digest`.
    public init(_ credential: Credential, digest: CredentialDigest?) {
        self.credential = credential
        self.digest = digest
    }
}
