import Foundation
import Gatehouse
import Testing

@testable import GatehouseIdentity

/// userinfo and introspection against an in-process fake provider: answers, caching, failures.
@Suite struct RemoteVerifierTests {
    static let userinfo = "https://idp.example.com/userinfo"
    static let introspect = "https://idp.example.com/introspect"

    static func setUp(mode: String) throws -> (FakeFetcher, TestClock, RemoteVerifier, Provider) {
        setenv("GATEHOUSE_TEST_SECRET", "s3cret", 1)
        let provider = try #require(
            try Support.policy(
                provider: """
                        verify: \(mode)
                        userinfo_endpoint: \(userinfo)
                        introspection_endpoint: \(introspect)
                        client_id: gatehouse
                        client_secret: { env: GATEHOUSE_TEST_SECRET }
                        cache: 5m
                    """
            ).provider("idp"))
        let fetcher = FakeFetcher()
        let clock = TestClock()
        let directory = ProviderDirectory(providers: [provider], fetcher: fetcher, clock: clock.read)
        return (fetcher, clock, RemoteVerifier(directory: directory, capacity: 3, clock: clock.read), provider)
    }

    static func code(_ verification: Verification) -> String {
        switch verification {
        case .verified(let identity): return "verified:\(identity.username)"
        case .rejected(let rejection): return rejection.code.rawValue
        case .unavailable(_, let reason): return "unavailable: \(reason)"
        }
    }

    @Test func userinfoAnswersAreCachedForTheProvidersCacheTime() async throws {
        let (fetcher, clock, remote, provider) = try Self.setUp(mode: "userinfo")
        fetcher.set(Self.userinfo, body: #"{"sub":"u1","preferred_username":"alice"}"#)
        #expect(Self.code(await remote.verify("opaque-1", with: provider)) == "verified:alice")
        clock.advance(299)
        #expect(Self.code(await remote.verify("opaque-1", with: provider)) == "verified:alice")
        #expect(fetcher.calls(Self.userinfo) == 1)
        clock.advance(2)
        #expect(Self.code(await remote.verify("opaque-1", with: provider)) == "verified:alice")
        #expect(fetcher.calls(Self.userinfo) == 2)
    }

    @Test func refusalsAreRememberedTenSecondsAndOutagesNotAtAll() async throws {
        let (fetcher, clock, remote, provider) = try Self.setUp(mode: "userinfo")
        fetcher.set(Self.userinfo, status: 401, body: "")
        #expect(Self.code(await remote.verify("bad", with: provider)) == "token.invalid")
        #expect(Self.code(await remote.verify("bad", with: provider)) == "token.invalid")
        #expect(fetcher.calls(Self.userinfo) == 1)
        clock.advance(11)
        fetcher.set(Self.userinfo, status: 503, body: "")
        #expect(
            Self.code(await remote.verify("bad", with: provider)) == "unavailable: the userinfo endpoint answered 503")
        #expect(
            Self.code(await remote.verify("bad", with: provider)) == "unavailable: the userinfo endpoint answered 503")
        #expect(fetcher.calls(Self.userinfo) == 3)
        fetcher.failing = true
        #expect(
            Self.code(await remote.verify("other", with: provider)).hasPrefix(
                "unavailable: the userinfo endpoint cannot be reached"))
    }

    @Test func introspectionFollowsRFC7662() async throws {
        let (fetcher, clock, remote, provider) = try Self.setUp(mode: "introspection")
        let exp = Int(clock.read().timeIntervalSince1970) + 60
        fetcher.set(
            Self.introspect,
            body:
                #"{"active":true,"iss":"https://idp.example.com","aud":"api","preferred_username":"bob","exp":\#(exp).5}"#
        )
        #expect(Self.code(await remote.verify("t1", with: provider)) == "verified:bob")
        clock.advance(61)  // the answer is kept no longer than the token's exp (float, as Canaille sends)
        fetcher.set(Self.introspect, body: #"{"active":false}"#)
        #expect(Self.code(await remote.verify("t1", with: provider)) == "token.invalid")
        fetcher.set(
            Self.introspect,
            body: #"{"active":true,"iss":"https://other.example.com","aud":"api","preferred_username":"bob"}"#)
        #expect(Self.code(await remote.verify("t2", with: provider)) == "token.issuer")
        fetcher.set(Self.introspect, body: #"{"active":"true","preferred_username":"bob"}"#)
        #expect(Self.code(await remote.verify("t3", with: provider)) == "token.invalid")
    }

    /// An active answer is still refused for a token issued to another audience, for a token that
    /// is not an access token (a refresh token), and for an `exp` that is not a number.
    @Test(arguments: [
        (#""aud":"other""#, "token.audience"), ("", "token.audience"), (#""aud":["x","api"]"#, "verified:bob"),
        (#""aud":"api","token_type":"refresh_token""#, "token.type"),
        (#""aud":"api","token_type":"Bearer""#, "verified:bob"),
        (#""aud":"api","exp":"4102444800""#, "token.malformed"),
    ])
    func introspectionAnswersAreCheckedFully(_ fields: String, _ outcome: String) async throws {
        let (fetcher, _, remote, provider) = try Self.setUp(mode: "introspection")
        let extra = fields.isEmpty ? "" : "," + fields
        fetcher.set(Self.introspect, body: #"{"active":true,"preferred_username":"bob"\#(extra)}"#)
        #expect(Self.code(await remote.verify("t", with: provider)) == outcome)
    }

    /// userinfo refuses an `exp` that is not a number too.
    @Test func userinfoExpMustBeANumber() async throws {
        let (fetcher, _, remote, provider) = try Self.setUp(mode: "userinfo")
        fetcher.set(Self.userinfo, body: #"{"preferred_username":"bob","exp":true}"#)
        #expect(Self.code(await remote.verify("t", with: provider)) == "token.malformed")
    }

    @Test func concurrentRequestsWithOneTokenShareOneCall() async throws {
        let (fetcher, _, remote, provider) = try Self.setUp(mode: "userinfo")
        fetcher.set(Self.userinfo, body: #"{"preferred_username":"alice"}"#)
        fetcher.delay = .milliseconds(200)
        let results = await withTaskGroup(of: String.self) { group in
            for _ in 0..<25 { group.addTask { Self.code(await remote.verify("same", with: provider)) } }
            return await group.reduce(into: []) { $0.append($1) }
        }
        #expect(results == Array(repeating: "verified:alice", count: 25))
        #expect(fetcher.calls(Self.userinfo) == 1)
    }

    @Test func theCacheIsBounded() async throws {
        let (fetcher, _, remote, provider) = try Self.setUp(mode: "userinfo")
        fetcher.set(Self.userinfo, body: #"{"preferred_username":"alice"}"#)
        for token in ["a", "b", "c", "d", "e"] { _ = await remote.verify(token, with: provider) }
        #expect(await remote.cache.count <= 3)
        _ = await remote.verify("e", with: provider)
        #expect(fetcher.calls(Self.userinfo) == 5)
    }

    @Test func basicCredentialsAreCheckedWithBcrypt() async throws {
        let users = [
            BasicUser(username: "legacy", bcrypt: "$2b$04$RXxfhIg5hu4JnDy/0wnNxuYdDLHM.3L04dBBV0KWPQTxEbZWN8HXO")
        ]
        let basic = BasicVerifier()
        let now = TokenMinter.now
        #expect(
            Self.code(await basic.verify(username: "legacy", password: "correct horse", users: users, now: now))
                == "verified:legacy")
        #expect(
            Self.code(await basic.verify(username: "legacy", password: "wrong", users: users, now: now))
                == "credentials.invalid")
        #expect(
            Self.code(await basic.verify(username: "nobody", password: "correct horse", users: users, now: now))
                == "credentials.invalid")
        #expect(!BasicVerifier.bcryptMatches("x\u{0}y", hash: users[0].bcrypt))
    }
}

/// Basic users from an htpasswd file, through the evaluator: allowed only where a rule takes Basic.
@Suite struct HtpasswdTests {
    @Test func htpasswdUsersAuthenticateWhereBasicIsAllowed() async throws {
        let folder = NSTemporaryDirectory() + "gatehouse-htpasswd-\(getpid())"
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        // `htpasswd -B` writes $2y$; libxcrypt reads it like $2b$.
        try "legacy:$2y$04$RXxfhIg5hu4JnDy/0wnNxuYdDLHM.3L04dBBV0KWPQTxEbZWN8HXO\n"
            .write(toFile: folder + "/users.htpasswd", atomically: true, encoding: .utf8)
        let yaml = """
            version: 1
            basic: { htpasswd: users.htpasswd }
            schemes: [bearer]
            rules:
              - id: legacy
                match: { path: /legacy/** }
                require: { schemes: [basic] }
              - id: api
                match: { path: /api/** }
                require: authenticated
            """
        let checked = PolicyChecker.check(SourceFile(name: folder + "/policy.yaml", text: yaml), files: LocalFiles())
        let policy = PolicyCompiler.compile(try #require(checked.policy))
        let evaluator = Evaluator(policy: policy)
        let verifier = TokenVerifier(keys: SavedKeySet(json: #"{"keys":[]}"#))
        func decide(_ path: String, _ credentials: String) async -> String {
            let header = "Basic " + Data(credentials.utf8).base64EncodedString()
            let request = APIRequest(method: "POST", target: path, headers: [("Authorization", header)])
            let decision = await evaluator.evaluate(request, verifier: verifier, now: TokenMinter.now)
            return "\(decision.status) \(decision.code) \(decision.identity?.username ?? "-")"
        }
        #expect(await decide("/legacy/import", "legacy:correct horse") == "200 rule.allow legacy")
        #expect(await decide("/legacy/import", "legacy:wrong") == "401 credentials.invalid -")
        #expect(await decide("/api/things", "legacy:correct horse") == "401 scheme.disabled -")
    }
}
