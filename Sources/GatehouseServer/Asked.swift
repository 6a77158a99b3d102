import Foundation
import Gatehouse
import GatehouseIdentity

/// One request being decided: by which door, under which policy (none when none is active yet),
/// at what time, since when.
struct Asked: Sendable {
    let door: Door
    /// The original request, when known (a shadow policy decides it again).
    let original: APIRequest?
    /// The request's header fields, whose `Authorization` the log names when the decision did
    /// not look at it.
    let headers: [(name: String, value: String)]
    let policy: ActivePolicy.Loaded?
    let now: Date
    let started: ContinuousClock.Instant

    /// The original request's method, when known.
    var method: String? { original?.method }

    /// How the log names a bearer token: by the digest the decision computed, or, when it did not
    /// look at the credential (a public path), by the first `Authorization` value's.
    func tokenFingerprint(_ credential: CredentialName?) -> String? {
        switch credential {
        case .token(let digest)?: return digest.fingerprint
        case .basicUser?: return nil
        case nil:
            return Digest.fingerprint(bearer: headers.first { $0.name.equalsIgnoringCase("authorization") }?.value)
        }
    }

    /// The username Basic credentials claimed.
    func basicUser(_ credential: CredentialName?) -> String? {
        if case .basicUser(let username)? = credential { return username }
        return nil
    }
}
