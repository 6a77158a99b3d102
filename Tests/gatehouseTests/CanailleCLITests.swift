import Foundation
import Testing

/// A person's sign-in at Canaille with the built binary: `token --grant authorization-code` with
/// PKCE, state and nonce, the test playing the person at Canaille's own pages (user name,
/// password, consent), Canaille's RFC 9207 `iss` checked on the way back; then `whoami` shows
/// that Canaille's tokens have no `preferred_username` and which claims could serve, and
/// `evaluate` maps the one chosen.
@Suite(
    .enabled(
        if: ProcessInfo.processInfo.environment["GATEHOUSE_CANAILLE"] != nil, "needs Canaille: run `scripts/test`"))
struct CanailleCLITests {
    static let issuer = ProcessInfo.processInfo.environment["GATEHOUSE_CANAILLE"] ?? ""

    static func policyFile(username: String) throws -> String {
        let path = NSTemporaryDirectory() + "gatehouse-canaille-\(getpid())-\(username).yaml"
        let yaml = """
            version: 1
            name: canaille-person
            providers:
              canaille:
                kind: oidc
                issuer: \(issuer)
                audiences: [cli-client]
                claims: { username: \(username), groups: groups }
                client_id: cli-client
                client_secret: { env: CANAILLE_CLIENT_SECRET }
            schemes: [bearer]
            rules:
              - id: editors
                match: { path: /api/** }
                require: { groups: [editors] }
            """
        try yaml.write(toFile: path, atomically: true, encoding: .utf8)
        return path
    }

    @Test func aPersonSignsInAndTheUsernameClaimIsChosen() throws {
        setenv("CANAILLE_CLIENT_SECRET", "cli-client-secret", 1)
        let policy = try Self.policyFile(username: "preferred_username")
        let (process, out, err, shown) = try IdentityProviderCLITests.startToken(
            [
                "token", policy, "--provider", "canaille", "--grant", "authorization-code", "--no-browser",
                "--redirect-port", "9419", "--scope", "openid profile email groups", "--output", "json",
            ], until: "waiting for the browser")
        let url = String(try #require(shown.firstMatch(of: /Sign in at (\S+)/), "\(shown)").1)
        let query = Dictionary((URLComponents(string: url)?.queryItems ?? []).map { ($0.name, $0.value ?? "") }) {
            first, _ in first
        }
        #expect(url.hasPrefix(Self.issuer + "/oauth/authorize?"))
        #expect(query["redirect_uri"] == "http://127.0.0.1:9419/callback")
        #expect(query["code_challenge_method"] == "S256" && query["nonce"]?.isEmpty == false)

        // The person: the sign-in page (user name, then password), which sends the browser back
        // to the authorization page: its consent form (or, when alice consented before in this
        // Canaille's life, straight on), whose answer sends it to the loopback redirect with the
        // code, state and iss.
        let jar = NSTemporaryDirectory() + "gatehouse-canaille-cookies-\(getpid())"
        _ = try IdentityProviderCLITests.curl(["-L", "-c", jar, "-b", jar, url])
        _ = try IdentityProviderCLITests.curl(["-c", jar, "-b", jar, "-d", "login=alice", Self.issuer + "/login"])
        var landed = try IdentityProviderCLITests.curl([
            "-L", "-c", jar, "-b", jar, "-d", "password=alice-password", Self.issuer + "/auth/password",
        ])
        if !landed.contains("go back to the terminal") {
            #expect(landed.contains(#"value="accept""#), "\(landed.prefix(300))")
            landed = try IdentityProviderCLITests.curl(["-L", "-c", jar, "-b", jar, "-d", "answer=accept", url])
        }
        #expect(landed.contains("go back to the terminal"), "\(landed.prefix(300))")
        process.waitUntilExit()
        let rest = String(decoding: err.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        #expect(process.terminationStatus == 0, "\(rest)")
        let response = try #require(
            try JSONSerialization.jsonObject(with: out.fileHandleForReading.readDataToEndOfFile()) as? [String: Any])
        #expect(response["id_token"] is String && response["refresh_token"] is String)
        let access = try #require(response["access_token"] as? String)

        // Canaille names no `preferred_username`: whoami says so, and shows what could serve.
        let refused = try CLI.run(["whoami", policy, "--provider", "canaille", "--token", "-"], stdin: access)
        #expect(refused.status == 1)
        #expect(refused.stdout.contains("refused   token.no-username"))
        #expect(refused.stdout.contains("verified  the signature and claims are good; only the username claim is not"))
        let candidates = refused.stdout.split(separator: "\n").drop { !$0.hasPrefix("could hold the username") }
        #expect(
            Array(candidates.dropFirst()) == [
                "  email  alice@example.org  claims: { username: email }",
                "  name   Alice Liddell      claims: { username: name }",
                "  sub    alice              claims: { username: sub }",
            ], "\(refused.stdout)")

        // The person picks `email`: whoami maps it, and evaluate lets the editor in as that user.
        let chosen = try Self.policyFile(username: "email")
        let whoami = try CLI.run(["whoami", chosen, "--provider", "canaille", "--token", "-"], stdin: access)
        #expect(whoami.status == 0)
        #expect(whoami.stdout.contains("username  alice@example.org (claim `email`)"), "\(whoami.stdout)")
        let evaluate = try CLI.run([
            "evaluate", chosen, "--path", "/api/pages", "--header", "Authorization: Bearer \(access)", "--format",
            "json",
        ])
        #expect(evaluate.status == 0, "\(evaluate.stdout)\(evaluate.stderr)")
        let decision = try JSONSerialization.jsonObject(with: Data(evaluate.stdout.utf8)) as? [String: Any]
        #expect(decision?["rule"] as? String == "editors")
        #expect((decision?["identity"] as? [String: Any])?["username"] as? String == "alice@example.org")
        #expect(!evaluate.stdout.contains(access) && !whoami.stdout.contains(access))
    }
}
