import Foundation
import Gatehouse
import GatehouseBundle
import Synchronization

/// Signs the assertion every allow carries (a policy's `assertion:`) and publishes its keys. One
/// is made with each loaded policy, so a reload starts afresh. An assertion for the same caller
/// and rule is reused until `margin` before it expires: a cached token's decision does not pay
/// for a signature each time, and the upstream always has most of `ttl` left.
package final class AssertionSigner: Sendable {
    let settings: AssertionSettings
    /// The keys, in the policy's order: the first signs.
    let keys: [BundleSigningKey]
    /// The key files read, as resolved: what `--watch` watches besides the policy.
    let paths: [String]
    /// `/.well-known/jwks.json`: every key's public half.
    package let jwks: String
    /// The header of every assertion, encoded.
    private let header: String
    /// How long before its expiry an assertion is made anew.
    let margin: Int
    private let reused: Mutex<[Reuse: Minted]>

    /// At most this many assertions are kept for reuse; beyond it the expired go, then all.
    static let capacity = 10_000

    struct Reuse: Hashable {
        let identity: DecisionIdentity
        let rule: String?
    }

    struct Minted {
        let token: String
        let expires: Int
    }

    /// Why a key cannot be used: the key's place in the policy and the reason, never its bytes.
    package struct KeyProblem: Error, Sendable {
        package let key: AssertionKeyFile
        package let reason: String

        /// The problem as a `check.invalid-key` diagnostic at the key's `file`.
        package var diagnostic: Diagnostic {
            .error(
                "check.invalid-key", "assertion key `\(key.kid)`: \(reason)", at: key.location,
                help:
                    "an assertion key is a PEM private key, P-256 (ES256) or Ed25519 (EdDSA): `openssl genpkey -algorithm ed25519`"
            )
        }
    }

    init(settings: AssertionSettings, keys: [BundleSigningKey], paths: [String]) {
        self.settings = settings
        self.keys = keys
        self.paths = paths
        let ttl = Int(settings.ttl.components.seconds)
        margin = max(1, min(ttl / 4, 30))
        let first = keys[0]
        header = Base64URL.encode(
            Array(#"{"alg":"\#(first.publicKey.algorithm)","kid":"\#(first.kid)","typ":"JWT"}"#.utf8))
        let published = keys.map { key in
            key.publicKey.jwkMembers.merging(["kid": key.kid, "alg": key.publicKey.algorithm, "use": "sig"]) { $1 }
        }
        jwks = JSONText.encode(["keys": published])
        reused = Mutex([:])
    }

    /// Reads the keys `settings` names from this machine's disk: a relative path from `folder` (the
    /// policy file's), or refused when there is no folder (a policy from a bundle, which never
    /// carries a private key).
    package static func load(_ settings: AssertionSettings, folder: String?) -> Result<AssertionSigner, KeyProblem> {
        var keys: [BundleSigningKey] = []
        var paths: [String] = []
        for file in settings.keys {
            let path: String
            if file.path.hasPrefix("/") {
                path = file.path
            } else if let folder {
                path = URL(fileURLWithPath: folder).appendingPathComponent(file.path).path
            } else {
                return .failure(
                    KeyProblem(
                        key: file,
                        reason:
                            "`\(file.path)` is relative, and a bundle carries no private key: name the key's absolute path on the server"
                    ))
            }
            paths.append(path)
            guard let data = FileManager.default.contents(atPath: path) else {
                return .failure(KeyProblem(key: file, reason: "`\(path)` cannot be read"))
            }
            do {
                keys.append(try BundleSigningKey(pem: String(decoding: data, as: UTF8.self), kid: file.kid))
            } catch {
                return .failure(
                    KeyProblem(key: file, reason: "`\(path)` is not a P-256 or Ed25519 private key in PEM"))
            }
        }
        return .success(AssertionSigner(settings: settings, keys: keys, paths: paths))
    }

    /// The assertion for `decision`, answered under `id` by the policy `revision` at `now`: a
    /// signed JWT, or empty when the decision has no caller (so a client's copy never passes).
    func assertion(for decision: Decision, id: String, revision: String, now: Date) -> String {
        guard let identity = decision.identity else { return "" }
        let reuse = Reuse(identity: identity, rule: decision.rule)
        let second = Int(now.timeIntervalSince1970.rounded(.down))
        if let minted = reused.withLock({ $0[reuse] }), minted.expires - second > margin { return minted.token }
        guard let claims = AssertionClaims(decision, settings, id: id, revision: revision, now: now) else { return "" }
        let input = header + "." + Base64URL.encode(claims.json.utf8)
        guard let signature = try? keys[0].signature(for: Array(input.utf8)) else { return "" }
        let token = input + "." + Base64URL.encode(signature)
        reused.withLock { cache in
            if cache.count >= Self.capacity {
                cache = cache.filter { $0.value.expires - second > margin }
                if cache.count >= Self.capacity { cache.removeAll(keepingCapacity: true) }
            }
            cache[reuse] = Minted(token: token, expires: claims.exp)
        }
        return token
    }
}
