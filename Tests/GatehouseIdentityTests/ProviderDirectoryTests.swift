import AsyncHTTPClient
import Foundation
import Gatehouse
import Synchronization
import Testing

@testable import GatehouseIdentity

/// Discovery, JWKS caching and provider failures, with an in-process fake provider and a clock
/// moved by hand.
@Suite struct ProviderDirectoryTests {
    static let base = "https://idp.example.com"
    static let discovery = base + "/.well-known/openid-configuration"
    static let jwksURL = base + "/keys"

    static func setUp(maxAge: Int? = nil) throws -> (FakeFetcher, TestClock, ProviderDirectory, Provider) {
        let fetcher = FakeFetcher()
        fetcher.set(
            Self.discovery,
            body: #"{"issuer":"\#(base)","jwks_uri":"\#(jwksURL)","userinfo_endpoint":"\#(base)/userinfo"}"#)
        fetcher.set(Self.jwksURL, maxAge: maxAge, body: TokenMinter.jwks)
        let clock = TestClock()
        let provider = try #require(try Support.policy().provider("idp"))
        return (fetcher, clock, ProviderDirectory(providers: [provider], fetcher: fetcher, clock: clock.read), provider)
    }

    @Test func discoveryMustNameTheConfiguredIssuer() async throws {
        let (fetcher, _, directory, provider) = try Self.setUp()
        fetcher.set(Self.discovery, body: #"{"issuer":"https://evil.example.com","jwks_uri":"\#(Self.jwksURL)"}"#)
        guard case .failure(let failure) = await directory.keys(for: provider, refresh: false) else {
            Issue.record("keys were loaded from a discovery document of another issuer")
            return
        }
        #expect(
            failure.reason
                == "discovery names `https://evil.example.com`, not the configured issuer `https://idp.example.com`")
        #expect(fetcher.calls(Self.jwksURL) == 0)
    }

    /// `Cache-Control: max-age` sets the lifetime, clamped to [1 min, 24 h]; 10 min without it.
    @Test(arguments: [(nil, 600.0), (5, 60.0), (3600, 3600.0), (999_999, 86_400.0)] as [(Int?, Double)])
    func keysLiveAsLongAsTheProviderSays(_ maxAge: Int?, _ lifetime: Double) async throws {
        let (fetcher, clock, directory, provider) = try Self.setUp(maxAge: maxAge)
        _ = try await directory.keys(for: provider, refresh: false).get()
        clock.advance(lifetime * 0.5)
        _ = try await directory.keys(for: provider, refresh: false).get()
        #expect(fetcher.calls(Self.jwksURL) == 1)
        clock.advance(lifetime * 0.51 + 1)
        _ = try await directory.keys(for: provider, refresh: false).get()
        #expect(fetcher.calls(Self.jwksURL) == 2)
    }

    @Test func keysAreRefreshedBeforeTheyExpire() async throws {
        let (fetcher, clock, directory, provider) = try Self.setUp()
        _ = try await directory.keys(for: provider, refresh: false).get()
        clock.advance(500)  // past 80 % of the 600 s lifetime: answered from cache, refreshed behind
        _ = try await directory.keys(for: provider, refresh: false).get()
        try await Task.sleep(for: .milliseconds(100))
        #expect(fetcher.calls(Self.jwksURL) == 2)
        clock.advance(200)  // past the first fetch's expiry, but not the refreshed one's
        _ = try await directory.keys(for: provider, refresh: false).get()
        #expect(fetcher.calls(Self.jwksURL) == 2)
    }

    @Test func cachedKeysKeepWorkingWhileTheProviderIsDownForUpTo24Hours() async throws {
        let (fetcher, clock, directory, _) = try Self.setUp()
        let token = TokenMinter.token(
            header: #"{"alg":"RS256","kid":"rsa"}"#, payload: TokenMinter.claims(), signer: .rs256)
        let verifier = TokenVerifier(keys: directory)
        let policy = try Support.policy()
        #expect(await Self.code(verifier, token, policy, clock) == "verified:alice")
        fetcher.failing = true
        clock.advance(3600)
        #expect(await Self.code(verifier, token, policy, clock, shift: 3600) == "token.expired")
        let fresh = TokenMinter.token(
            header: #"{"alg":"RS256","kid":"rsa"}"#, payload: TokenMinter.claims(exp: "1800090000"), signer: .rs256)
        #expect(await Self.code(verifier, fresh, policy, clock) == "verified:alice")
        clock.advance(24 * 3600)
        #expect(await Self.code(verifier, fresh, policy, clock) == "unavailable")
    }

    @Test func providerDownAtStartFailsClosed() async throws {
        let (fetcher, clock, directory, _) = try Self.setUp()
        fetcher.failing = true
        let evaluator = Evaluator(policy: try Support.policy())
        let token = TokenMinter.token(
            header: #"{"alg":"RS256","kid":"rsa"}"#, payload: TokenMinter.claims(), signer: .rs256)
        let request = APIRequest(method: "GET", target: "/api/x", headers: [("Authorization", "Bearer " + token)])
        let decision = await evaluator.evaluate(request, verifier: TokenVerifier(keys: directory), now: clock.read())
        #expect(decision.status == 503)
        #expect(decision.code == .providerUnavailable)
        #expect(decision.outcome == .deny)
    }

    @Test func garbageKeySetsAreNotUsed() async throws {
        let (fetcher, _, directory, provider) = try Self.setUp()
        fetcher.set(Self.jwksURL, body: "<html>maintenance</html>")
        guard case .failure(let failure) = await directory.keys(for: provider, refresh: false) else {
            Issue.record("garbage was accepted as a key set")
            return
        }
        #expect(failure.reason.hasPrefix("the JWKS cannot be used: the key set is not valid JSON"))
    }

    @Test func unknownKeyIdsRefreshAtMostOncePer30Seconds() async throws {
        let (fetcher, clock, directory, provider) = try Self.setUp()
        _ = try await directory.keys(for: provider, refresh: false).get()
        for _ in 0..<5 { _ = try await directory.keys(for: provider, refresh: true).get() }
        #expect(fetcher.calls(Self.jwksURL) == 2)
        clock.advance(31)
        _ = try await directory.keys(for: provider, refresh: true).get()
        #expect(fetcher.calls(Self.jwksURL) == 3)
    }

    @Test func keySetFetchesAreReported() async throws {
        let fetched = Mutex<[String]>([])
        let fetcher = FakeFetcher()
        fetcher.set(Self.discovery, body: #"{"issuer":"\#(Self.base)","jwks_uri":"\#(Self.jwksURL)"}"#)
        fetcher.set(Self.jwksURL, body: TokenMinter.jwks)
        let provider = try #require(try Support.policy().provider("idp"))
        let events = VerificationEvents(keysFetched: { id, ok in fetched.withLock { $0.append("\(id):\(ok)") } })
        let directory = ProviderDirectory(providers: [provider], fetcher: fetcher, events: events)
        _ = await directory.keys(for: provider, refresh: false)
        #expect(fetched.withLock { $0 } == ["idp:true"])
    }

    @Test func concurrentFetchesShareOneRequest() async throws {
        let (fetcher, _, directory, provider) = try Self.setUp()
        fetcher.delay = .milliseconds(200)
        await withTaskGroup(of: Void.self) { group in
            for _ in 0..<20 { group.addTask { _ = await directory.keys(for: provider, refresh: false) } }
        }
        #expect(fetcher.calls(Self.jwksURL) == 1)
        #expect(fetcher.calls(Self.discovery) == 1)
    }

    /// The deadline ends a call to a provider that accepts and never answers: the error is the
    /// deadline's, not a wall-clock bound the rest of the suite's load could move.
    @Test(.timeLimit(.minutes(1))) func aSilentProviderTimesOut() async throws {
        let listener = try SilentListener()
        let provider = try #require(try Support.policy().provider("idp"))
        let fetcher = NetworkFetcher()
        await #expect(throws: HTTPClientError.deadlineExceeded) {
            _ = try await fetcher.get(
                "http://127.0.0.1:\(listener.port)/keys", headers: [], timeout: .milliseconds(300))
        }
        let directory = ProviderDirectory(
            providers: [provider], fetcher: SilentRedirect(port: listener.port), timeout: .milliseconds(300))
        guard case .failure(let failure) = await directory.keys(for: provider, refresh: false) else {
            Issue.record("a silent provider produced keys")
            return
        }
        #expect(failure.reason == "discovery cannot be reached (HTTPClientError.deadlineExceeded)")
    }

    static func code(
        _ verifier: TokenVerifier, _ token: String, _ policy: CompiledPolicy, _ clock: TestClock, shift: Double = 0
    )
        async -> String
    {
        switch await verifier.verify(.bearer(token), policy: policy, schemes: [.bearer], now: clock.read()) {
        case .verified(let identity): return "verified:\(identity.username)"
        case .rejected(let rejection): return rejection.code.rawValue
        case .unavailable: return "unavailable"
        }
    }
}

/// A TCP port that accepts connections and never answers.
final class SilentListener: Sendable {
    let port: Int
    private let socket: Int32

    init() throws {
        let socket = Glibc.socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        address.sin_port = 0
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        _ = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(socket, $0, length) }
        }
        listen(socket, 16)
        _ = withUnsafeMutablePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(socket, $0, &length) }
        }
        self.socket = socket
        port = Int(UInt16(bigEndian: address.sin_port))
    }

    deinit { close(socket) }
}

/// Sends every request of a provider at `https://idp.example.com` to the silent port instead.
struct SilentRedirect: HTTPFetching {
    let port: Int
    func get(_ url: String, headers: [(String, String)], timeout: Duration) async throws -> HTTPAnswer {
        try await NetworkFetcher().get("http://127.0.0.1:\(port)/", headers: headers, timeout: timeout)
    }
    func post(_ url: String, form: [(String, String)], headers: [(String, String)], timeout: Duration) async throws
        -> HTTPAnswer
    {
        try await NetworkFetcher().post("http://127.0.0.1:\(port)/", form: form, headers: headers, timeout: timeout)
    }
}

/// Verified JWTs are remembered by their SHA-256 until `exp` (and at most 5 minutes).
@Suite struct VerifiedTokenCacheTests {
    final class CountingKeys: SigningKeySource {
        let inner = SavedKeySet(json: TokenMinter.jwks)
        let count = Mutex(0)
        func keys(for provider: Provider, refresh: Bool) async -> Result<SigningKeySet, ProviderUnavailable> {
            count.withLock { $0 += 1 }
            return await inner.keys(for: provider, refresh: refresh)
        }
    }

    @Test func repeatedTokensSkipVerificationUntilTheyExpire() async throws {
        let keys = CountingKeys()
        let hits = Mutex(0)
        let verifier = TokenVerifier(
            keys: keys, events: VerificationEvents(cacheHit: { _ in hits.withLock { $0 += 1 } }))
        let policy = try Support.policy()
        let token = TokenMinter.token(
            header: #"{"alg":"RS256","kid":"rsa"}"#, payload: TokenMinter.claims(), signer: .rs256)
        func outcome(_ token: String, _ offset: TimeInterval) async -> String {
            switch await verifier.verify(
                .bearer(token), policy: policy, schemes: [.bearer], now: TokenMinter.now + offset)
            {
            case .verified(let identity): return identity.username
            case .rejected(let rejection): return rejection.code.rawValue
            case .unavailable: return "unavailable"
            }
        }
        #expect(await outcome(token, 0) == "alice")
        #expect(await outcome(token, 200) == "alice")
        #expect(keys.count.withLock { $0 } == 1)
        #expect(hits.withLock { $0 } == 1)
        #expect(await outcome(token, 301) == "alice")  // past the 5-minute cap: verified again
        #expect(keys.count.withLock { $0 } == 2)
        #expect(await outcome(token, 631) == "token.expired")  // exp + 30 s leeway
        var tampered = Array(token)
        tampered[tampered.count - 3] = tampered[tampered.count - 3] == "A" ? "B" : "A"
        #expect(await outcome(String(tampered), 0) == "token.signature")
    }
}
