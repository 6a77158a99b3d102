import Foundation
import Gatehouse
import GatehouseTesting
import Testing

/// `whoami` marks the claims that could hold the username, each with the `claims:` line that
/// would take it: a person's Okta token, signed with a test key and verified for real (`--jwks`).
@Suite struct WhoamiCandidatesTests {
    static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent()

    /// A token for `claims` from the Okta provider of policies/confluence-okta.yaml, and the file
    /// of the public keys that verify it.
    static func token(_ claims: [String: JSONValue]) throws -> (token: String, jwks: String) {
        let signer = try FixtureSigner(
            path: root.appendingPathComponent("policies/testdata/signing-keys.jwks.json").path)
        let now = Int(Date().timeIntervalSince1970)
        let standard: [String: JSONValue] = [
            "iss": .string("https://dev-123456.okta.com/oauth2/default"), "aud": .string("api://default"),
            "iat": .number(Double(now)), "exp": .number(Double(now + 600)),
        ]
        let token = try signer.token(claims: standard.merging(claims) { $1 }, kid: "test-rs256")
        let jwks = NSTemporaryDirectory() + "gatehouse-whoami-\(getpid()).jwks.json"
        try signer.publicJWKS.write(toFile: jwks, atomically: true, encoding: .utf8)
        return (token, jwks)
    }

    static func whoami(_ claims: [String: JSONValue], format: String = "text") throws -> CLI.Output {
        let (token, jwks) = try token(claims)
        return try CLI.run([
            "whoami", "policies/confluence-okta.yaml", "--provider", "okta", "--token", token, "--jwks", jwks,
            "--format", format,
        ])
    }

    static let person: [String: JSONValue] = [
        "sub": .string("00u1a2b3c"), "preferred_username": .string("alice@example.com"),
        "email": .string("alice.smith@example.com"), "name": .string("Alice Smith"),
        "employee_mail": .string("a.smith@corp.example.com"), "department": .string("Engineering"),
        "scp": .array([.string("content:read")]),
    ]

    @Test func thePersonsNameClaimsAreMarkedWithTheirPolicyLines() throws {
        let output = try Self.whoami(Self.person)
        #expect(output.status == 0, "\(output.stderr)")
        let marked = output.stdout.components(
            separatedBy: "could hold the username (the provider's `claims:` line for each)\n")
        #expect(marked.count == 2)
        #expect(
            marked.last == """
                  preferred_username  alice@example.com         claims: { username: preferred_username }  (in use)
                  email               alice.smith@example.com   claims: { username: email }
                  name                Alice Smith               claims: { username: name }
                  employee_mail       a.smith@corp.example.com  claims: { username: employee_mail }
                  sub                 00u1a2b3c                 claims: { username: sub }

                """)
        #expect(!output.stdout.contains("department  "), "a string that names no one is not marked")
    }

    @Test func jsonListsTheCandidatesInOrder() throws {
        let output = try Self.whoami(Self.person, format: "json")
        let report = try #require(try JSONSerialization.jsonObject(with: Data(output.stdout.utf8)) as? [String: Any])
        let candidates = try #require(report["username_candidates"] as? [[String: Any]])
        #expect(
            candidates.map { $0["claim"] as? String } == [
                "preferred_username", "email", "name", "employee_mail", "sub",
            ])
        #expect(candidates.first?["policy"] as? String == "claims: { username: preferred_username }")
        #expect(candidates.map { $0["current"] as? Bool } == [true, false, false, false, false])
    }

    /// A refused token shows no claims, so no candidates.
    @Test func aRefusedTokenMarksNothing() throws {
        var expired = Self.person
        expired["exp"] = .number(Date().timeIntervalSince1970 - 3600)
        let output = try Self.whoami(expired)
        #expect(output.status == 1)
        #expect(!output.stdout.contains("could hold the username"))
    }
}
