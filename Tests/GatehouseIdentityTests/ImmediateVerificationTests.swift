import Foundation
import Gatehouse
import Testing

@testable import GatehouseIdentity

/// `verifyImmediately` answers only what needs no I/O, and then exactly as `verify` would.
@Suite struct ImmediateVerificationTests {
    typealias M = TokenMinter

    @Test func aJWTIsAnsweredAtOnceOnlyOnceVerified() async throws {
        let policy = try Support.policy()
        let verifier = TokenVerifier(keys: SavedKeySet(json: M.jwks))
        let token = M.token(header: #"{"alg":"ES256","kid":"p256"}"#, payload: M.claims(), signer: .es256)
        let request = APIRequest(method: "GET", target: "/api/x", headers: [("Authorization", "Bearer \(token)")])
        let evaluator = Evaluator(policy: policy)
        #expect(evaluator.begin(request, verifier: verifier, now: M.now).decided == nil)
        let verified = await evaluator.evaluate(request, verifier: verifier, now: M.now)
        #expect((verified.code, verified.identity?.username) == (.ruleAllow, "alice"))
        let immediate = try #require(evaluator.begin(request, verifier: verifier, now: M.now).decided)
        #expect((immediate.code, immediate.identity?.username) == (.ruleAllow, "alice"))
        // Past `exp` the cache no longer answers: the token goes back to full verification.
        #expect(evaluator.begin(request, verifier: verifier, now: M.now.addingTimeInterval(3600)).decided == nil)
    }

    @Test func apiTokensAndRequestsWithoutCredentialsNeedNoWait() async throws {
        let policy = try Support.policy(
            extra: """
                api_tokens:
                  - { id: bot, sha256: \(Digest.sha256Hex("bot-token")), username: bot }
                  - { id: old, sha256: \(Digest.sha256Hex("old-token")), username: old, expires: 2020-01-01 }
                """)
        let verifier = TokenVerifier(keys: SavedKeySet(json: M.jwks))
        let evaluator = Evaluator(policy: policy)
        for (header, code) in [
            ("Bearer bot-token", .ruleAllow), ("Bearer old-token", .tokenExpired), (nil, .credentialsMissing),
            ("Basic YTpi", .schemeDisabled),
        ] as [(String?, DecisionCode)] {
            let request = APIRequest(
                method: "GET", target: "/api/x", headers: header.map { [("Authorization", $0)] } ?? [])
            let immediate = try #require(evaluator.begin(request, verifier: verifier, now: M.now).decided)
            let full = await evaluator.evaluate(request, verifier: verifier, now: M.now)
            #expect(immediate.code == code)
            #expect((immediate.code, immediate.status, immediate.identity) == (full.code, full.status, full.identity))
        }
        // An opaque token that is no API token waits for the full path (a provider may know it).
        let unknown = APIRequest(method: "GET", target: "/api/x", headers: [("Authorization", "Bearer nobody-knows")])
        #expect(evaluator.begin(unknown, verifier: verifier, now: M.now).decided == nil)
    }
}
