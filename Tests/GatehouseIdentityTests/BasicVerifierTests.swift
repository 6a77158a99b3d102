import Foundation
import Gatehouse
import Synchronization
import Testing

@testable import GatehouseIdentity

/// Basic credentials cannot be told apart by timing, cannot starve token decisions, and cannot
/// differ after the 72 bytes bcrypt reads (issue 11).
@Suite struct BasicVerifierTests {
    static let hash4 = "$2y$04$RXxfhIg5hu4JnDy/0wnNxuYdDLHM.3L04dBBV0KWPQTxEbZWN8HXO"
    static let users = [BasicUser(username: "legacy", bcrypt: hash4)]

    /// An unknown user's password is checked against a hash of the policy's own cost (its first
    /// user's), not a fixed one: with the fixed cost-12 decoy an unknown user took 0.2 s where a
    /// known cost-4 user took 2 ms.
    @Test func anUnknownUserCostsWhatAKnownOneDoes() async {
        let hashes = Mutex<[String]>([])
        let workers = BcryptWorkers(threads: 1, queueLimit: 8) { password, hash in
            hashes.withLock { $0.append(hash) }
            return BasicVerifier.bcryptMatches(password, hash: hash)
        }
        let verifier = BasicVerifier(workers: workers)
        _ = await verifier.verify(username: "nobody", password: "x", users: Self.users, now: .now)
        _ = await verifier.verify(username: "legacy", password: "x", users: Self.users, now: .now)
        #expect(hashes.withLock { $0 } == [Self.hash4, Self.hash4])
    }

    /// bcrypt runs on its own threads: while every one of them is busy (here held on purpose), a
    /// token is still verified on the task pool, and checks past the queue's limit are refused at
    /// once (503 `credentials.busy`) instead of waiting.
    @Test func bcryptCannotStarveOtherDecisions() async throws {
        let release = DispatchSemaphore(value: 0)
        let started = Atomic<Int>(0)
        let workers = BcryptWorkers(threads: 1, queueLimit: 2) { _, _ in
            started.add(1, ordering: .relaxed)
            release.wait()
            return false
        }
        let verifier = BasicVerifier(workers: workers)
        async let first = verifier.verify(username: "legacy", password: "a", users: Self.users, now: .now)
        async let second = verifier.verify(username: "legacy", password: "b", users: Self.users, now: .now)
        while started.load(ordering: .relaxed) == 0 { try await Task.sleep(for: .milliseconds(5)) }
        let third = await verifier.verify(username: "legacy", password: "c", users: Self.users, now: .now)
        #expect(Self.code(third) == "credentials.busy")
        let tokens = TokenVerifier(keys: SavedKeySet(json: TokenMinter.jwks))
        let token = TokenMinter.token(
            header: #"{"alg":"ES256","kid":"p256"}"#, payload: TokenMinter.claims(), signer: .es256)
        let verified = await tokens.verify(
            .bearer(token), policy: try Support.policy(), schemes: [.bearer], now: TokenMinter.now)
        #expect(Self.code(verified) == "verified:alice")
        release.signal()
        release.signal()
        #expect(Self.code(await first) == "credentials.invalid")
        #expect(Self.code(await second) == "credentials.invalid")
    }

    /// bcrypt reads 72 bytes: a longer password is refused, never checked by its first 72 bytes.
    @Test func passwordsOverSeventyTwoBytesAreRefused() async {
        let checked = Atomic<Int>(0)
        let workers = BcryptWorkers(threads: 1, queueLimit: 8) { _, _ in
            checked.add(1, ordering: .relaxed)
            return true
        }
        let verifier = BasicVerifier(workers: workers)
        let long = String(repeating: "p", count: 73)
        let refused = await verifier.verify(username: "legacy", password: long, users: Self.users, now: .now)
        #expect(Self.code(refused) == "credentials.invalid")
        #expect(checked.load(ordering: .relaxed) == 0)
        let fits = await verifier.verify(
            username: "legacy", password: String(repeating: "p", count: 72), users: Self.users, now: .now)
        #expect(Self.code(fits) == "verified:legacy")
    }

    static func code(_ verification: Verification) -> String {
        switch verification {
        case .verified(let identity): return "verified:\(identity.username)"
        case .rejected(let rejection): return rejection.code.rawValue
        case .unavailable(_, let reason): return "unavailable: \(reason)"
        }
    }
}

/// An opaque token goes only to the userinfo and introspection providers the matched rule
/// accepts: provider A never receives a token meant for provider B.
@Suite struct OpaqueTokenRoutingTests {
    @Test func anOpaqueTokenGoesOnlyToTheProvidersTheRuleAccepts() async throws {
        let yaml = """
            version: 1
            providers:
              a:
                kind: oidc
                issuer: https://a.example.com
                verify: userinfo
                userinfo_endpoint: https://a.example.com/userinfo
              b:
                kind: oidc
                issuer: https://b.example.com
                verify: userinfo
                userinfo_endpoint: https://b.example.com/userinfo
            rules:
              - id: only-b
                match: { path: /b/** }
                require: { providers: [b] }
              - id: any
                match: { path: /** }
                require: authenticated
            """
        let policy = try Support.compile(yaml, name: "routing.yaml")
        let fetcher = FakeFetcher()
        fetcher.set("https://a.example.com/userinfo", status: 401, body: "")
        fetcher.set("https://b.example.com/userinfo", body: #"{"sub":"bob"}"#)
        let verifier = TokenVerifier.online(for: policy.policy, fetcher: fetcher)
        let evaluator = Evaluator(policy: policy)
        let request = APIRequest(method: "GET", target: "/b/x", headers: [("Authorization", "Bearer opaque-for-b")])
        let decision = await evaluator.evaluate(request, verifier: verifier, now: TokenMinter.now)
        #expect((decision.code, decision.identity?.username) == (.ruleAllow, "bob"))
        #expect(fetcher.calls("https://a.example.com/userinfo") == 0)
        #expect(fetcher.calls("https://b.example.com/userinfo") == 1)
    }
}
