/// How a decision log names the credential a decision looked at, never by its secret: a bearer
/// token by its digest, Basic credentials by the username they claim (a digest of a username and
/// password could be guessed at hash speed).
public enum CredentialName: Sendable, Hashable {
    /// A bearer token, by the digest its verifier computed.
    case token(CredentialDigest)
    /// Basic credentials, by the username they claim.
    case basicUser(String)

    /// The name of `credential`, prepared as `prepared`.
    init?(_ prepared: PreparedCredential) {
        switch prepared.credential {
        case .basic(let username, _): self = .basicUser(username)
        case .bearer:
            guard let digest = prepared.digest else { return nil }
            self = .token(digest)
        }
    }
}
