import Crypto
import Foundation
import Gatehouse

/// Verifies tokens by asking the provider: the userinfo endpoint (the token as the bearer) or RFC
/// 7662 introspection (client authentication by Basic). Answers are cached by the token's SHA-256
/// for the provider's `cache` time (never past the token's `exp`), refusals for at most 10 s, and
/// concurrent requests with the same token share one call.
public final class RemoteVerifier: Sendable {
    let directory: ProviderDirectory
    let cache: AnswerCache<Answer>
    let clock: @Sendable () -> Date
    let events: VerificationEvents

    /// How long a refusal (401, `active: false`) is remembered, to blunt floods of bad tokens.
    static let refusalLifetime: TimeInterval = 10

    /// - Parameters:
    ///   - directory: where the providers' endpoints come from.
    ///   - capacity: how many answers the cache keeps (least recently used go first).
    ///   - events: where cache hits are reported.
    public init(
        directory: ProviderDirectory, capacity: Int = 10_000, clock: @escaping @Sendable () -> Date = { Date() },
        events: VerificationEvents = .none
    ) {
        self.directory = directory
        self.cache = AnswerCache(capacity: capacity)
        self.clock = clock
        self.events = events
    }

    /// The claims `provider` vouches for, for `token`.
    func verify(_ token: String, with provider: Provider) async -> Verification {
        await verify(token, digest: VerifiedTokenCache.key(token), with: provider)
    }

    /// The same, for `token` whose SHA-256 is `digest`.
    func verify(_ token: String, digest: CredentialDigest, with provider: Provider) async -> Verification {
        let key = provider.id + ":" + Digest.hex(digest.bytes)
        let (answer, hit) = await cache.answer(for: key, now: clock()) { [self] in await ask(provider, about: token) }
        if hit { events.cacheHit("answer") }
        switch answer {
        case .claims(let claims):
            switch provider.identity(from: claims) {
            case .success(let identity): return .verified(identity)
            case .failure(let rejection): return .rejected(rejection)
            }
        case .refused(let rejection): return .rejected(rejection)
        case .unavailable(let reason): return .unavailable(provider: provider.id, reason: reason)
        }
    }

    /// One call to the provider, and how long its answer may be kept.
    private func ask(_ provider: Provider, about token: String) async -> (Answer, TimeInterval) {
        let endpoints: ProviderEndpoints
        switch await directory.endpoints(for: provider) {
        case .success(let resolved): endpoints = resolved
        case .failure(let failure): return (.unavailable(failure.reason), 0)
        }
        do {
            let answer: HTTPAnswer
            if provider.verify == .introspection {
                guard let url = endpoints.introspection, let clientID = provider.clientID,
                    let secret = provider.clientSecret
                else { return (.unavailable("no introspection endpoint or client credentials"), 0) }
                let authorization = Secrets.basicAuthorization(clientID: clientID, secret: try Secrets.read(secret))
                answer = try await directory.fetcher.post(
                    url, form: [("token", token), ("token_type_hint", "access_token")],
                    headers: [("Authorization", authorization), ("Accept", "application/json")],
                    timeout: directory.timeout)
            } else {
                guard let url = endpoints.userinfo else { return (.unavailable("no userinfo endpoint is known"), 0) }
                answer = try await directory.fetcher.get(
                    url, headers: [("Authorization", "Bearer " + token), ("Accept", "application/json")],
                    timeout: directory.timeout)
            }
            return interpret(answer, from: provider)
        } catch let failure as ProviderUnavailable {
            return (.unavailable(failure.reason), 0)
        } catch {
            return (
                .unavailable(
                    "the \(provider.verify.rawValue) endpoint cannot be reached (\(ProviderState.describe(error)))"), 0
            )
        }
    }

    private func interpret(_ answer: HTTPAnswer, from provider: Provider) -> (Answer, TimeInterval) {
        let mode = provider.verify.rawValue
        switch answer.status {
        case 200: break
        case 400..<500:
            let refusal = Rejection(
                code: .tokenInvalid, reason: "`\(provider.id)` refused the token (\(mode) answered \(answer.status))")
            return (.refused(refusal), Self.refusalLifetime)
        default:
            return (.unavailable("the \(mode) endpoint answered \(answer.status)"), 0)
        }
        guard let claims = try? StrictJSON.object(answer.body) else {
            return (.unavailable("the \(mode) answer is not a JSON object"), 0)
        }
        let now = clock().timeIntervalSince1970
        if provider.verify == .introspection {
            guard claims["active"] == .bool(true) else {
                let refusal = Rejection(code: .tokenInvalid, reason: "`\(provider.id)` says the token is not active")
                return (.refused(refusal), Self.refusalLifetime)
            }
            if let refusal = Self.introspectionRefusal(claims, provider) {
                return (.refused(refusal), Self.refusalLifetime)
            }
        }
        var lifetime = TimeInterval(provider.cache.components.seconds)
        switch claims["exp"] {
        case .number(let expiry)?:
            guard expiry > now else {
                let refusal = Rejection(code: .tokenExpired, reason: "`\(provider.id)` reports the token expired")
                return (.refused(refusal), Self.refusalLifetime)
            }
            lifetime = min(lifetime, expiry - now)
        case nil: break
        case _?:
            let refusal = Rejection(code: .tokenMalformed, reason: "the \(mode) answer's `exp` is not a number")
            return (.refused(refusal), Self.refusalLifetime)
        }
        return (.claims(claims), lifetime)
    }

    /// Why an active introspection answer is still refused: another issuer; a token that is not
    /// an access token (RFC 7662's `token_type`, such as a refresh token); an audience that is none
    /// of the provider's `audiences` (or none at all, when the provider names some).
    static func introspectionRefusal(_ claims: [String: JSONValue], _ provider: Provider) -> Rejection? {
        if let issuer = claims["iss"]?.stringValue, !issuer.isExactly(provider.issuer) {
            return Rejection(code: .tokenIssuer, reason: "the introspection answer names another issuer")
        }
        if let type = claims["token_type"] {
            guard let name = type.stringValue, ["bearer", "access_token"].contains(where: name.equalsIgnoringCase)
            else {
                return Rejection(
                    code: .tokenType, reason: "the introspection answer's `token_type` is not an access token")
            }
        }
        guard !provider.audiences.isEmpty else { return nil }
        let audiences: [String]
        switch claims["aud"] {
        case .string(let audience)?: audiences = [audience]
        case .array(let items)?: audiences = items.compactMap(\.stringValue)
        default: audiences = []
        }
        guard audiences.contains(where: provider.audiences.containsExactly) else {
            return Rejection(
                code: .tokenAudience,
                reason: "the introspection answer's `aud` is none of the audiences `\(provider.id)` accepts")
        }
        return nil
    }

    enum Answer: Sendable {
        case claims([String: JSONValue])
        case refused(Rejection)
        case unavailable(String)
    }
}

/// A bounded cache of answers with one call in flight per key.
actor AnswerCache<Value: Sendable> {
    private struct Entry {
        let answer: Value
        let expires: Date
        var used: UInt64
    }

    private let capacity: Int
    private var entries: [String: Entry] = [:]
    private var inFlight: [String: Task<(Value, TimeInterval), Never>] = [:]
    private var tick: UInt64 = 0

    init(capacity: Int) { self.capacity = max(1, capacity) }

    /// The cached answer for `key` (and `hit`), or the one `ask` gets (shared by concurrent callers).
    func answer(
        for key: String, now: Date, ask: @escaping @Sendable () async -> (Value, TimeInterval)
    ) async -> (Value, hit: Bool) {
        tick += 1
        if var entry = entries[key], now < entry.expires {
            entry.used = tick
            entries[key] = entry
            return (entry.answer, true)
        }
        let task: Task<(Value, TimeInterval), Never>
        if let running = inFlight[key] {
            task = running
        } else {
            task = Task { await ask() }
            inFlight[key] = task
        }
        let (answer, lifetime) = await task.value
        inFlight[key] = nil
        if lifetime > 0 {
            entries[key] = Entry(answer: answer, expires: now.addingTimeInterval(lifetime), used: tick)
            if entries.count > capacity { evict() }
        } else {
            entries[key] = nil
        }
        return (answer, false)
    }

    /// Drops the least recently used tenth (at least one entry).
    private func evict() {
        let victims = entries.sorted { $0.value.used < $1.value.used }.prefix(max(1, capacity / 10))
        for (key, _) in victims { entries[key] = nil }
    }

    var count: Int { entries.count }
}
