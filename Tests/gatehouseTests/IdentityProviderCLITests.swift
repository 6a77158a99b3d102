import Foundation
import Testing

/// The motivating steps with the built binary against the running nanoidp: `token` → `whoami` →
/// `evaluate`, online and with a saved key set (`--jwks`).
@Suite(
    .enabled(if: ProcessInfo.processInfo.environment["GATEHOUSE_NANOIDP"] != nil, "needs nanoidp: run `scripts/test`"))
struct IdentityProviderCLITests {
    static let issuer = ProcessInfo.processInfo.environment["GATEHOUSE_NANOIDP"] ?? ""

    static func policyFile() throws -> String {
        let path = NSTemporaryDirectory() + "gatehouse-nanoidp-\(getpid()).yaml"
        let yaml = """
            version: 1
            name: nanoidp
            providers:
              nano:
                kind: oidc
                issuer: \(issuer)
                audiences: [gatehouse-api]
                client_id: demo-client
                claims: { username: sub }
            schemes: [bearer]
            rules:
              - id: api
                match: { path: /api/** }
                require: authenticated
            """
        try yaml.write(toFile: path, atomically: true, encoding: .utf8)
        return path
    }

    /// A person's refresh token (from nanoidp's password grant, by curl) for a new access token:
    /// read from a file, never an argument; `--output json` prints the whole response; a refused
    /// refresh says the provider's error without the token.
    @Test func refreshTokenGrant() throws {
        setenv("NANO_CLIENT_SECRET", "demo-secret", 1)
        let policy = try Self.policyFile()
        let password = try Self.curl([
            "-u", "demo-client:demo-secret", "-d", "grant_type=password", "-d", "username=admin", "-d",
            "password=admin", Self.issuer + "/token",
        ])
        let response = try JSONSerialization.jsonObject(with: Data(password.utf8)) as? [String: Any]
        let refresh = try #require(response?["refresh_token"] as? String)
        let file = NSTemporaryDirectory() + "gatehouse-refresh-\(getpid())"
        try (refresh + "\n").write(toFile: file, atomically: true, encoding: .utf8)
        let arguments = [
            "token", policy, "--provider", "nano", "--grant", "refresh-token", "--refresh-token-file", file,
            "--client-secret-env", "NANO_CLIENT_SECRET",
        ]
        let token = try CLI.run(arguments)
        #expect(token.status == 0, "\(token.stderr)")
        let access = token.stdout.trimmingCharacters(in: .whitespacesAndNewlines)
        let whoami = try CLI.run(["whoami", policy, "--provider", "nano", "--token", "-"], stdin: access + "\n")
        #expect(whoami.stdout.contains("username  admin (claim `sub`)"), "a person's token: \(whoami.stdout)")

        let json = try CLI.run(arguments + ["--output", "json"])
        let fields = try JSONSerialization.jsonObject(with: Data(json.stdout.utf8)) as? [String: Any]
        #expect(fields.map { Set($0.keys) } == ["access_token", "expires_in", "refresh_token", "token_type"])

        try "not-a-refresh-token\n".write(toFile: file, atomically: true, encoding: .utf8)
        let refused = try CLI.run(arguments)
        #expect(refused.status == 1)
        #expect(refused.stderr.hasPrefix("error: the token endpoint answered 400: invalid_grant ("))
        #expect(!refused.stderr.contains("not-a-refresh-token"))
    }

    /// The device grant with a person at the other end: `token --grant device-code` prints the
    /// code and the page; the test plays the person (nanoidp's form: the code, admin's username and
    /// password, authorize); the token is admin's. A denial ends with the provider's error.
    @Test(arguments: ["authorize", "deny"])
    func deviceCodeGrant(_ action: String) throws {
        setenv("NANO_CLIENT_SECRET", "demo-secret", 1)
        let policy = try Self.policyFile()
        let (process, out, err, shown) = try Self.startToken(
            [
                "token", policy, "--provider", "nano", "--grant", "device-code", "--client-secret-env",
                "NANO_CLIENT_SECRET",
            ],
            until: "waiting for the approval")
        let match = try #require(shown.firstMatch(of: /open (\S+) and enter the code (\S+)/), "\(shown)")
        #expect(match.1 == Self.issuer + "/device")
        _ = try Self.curl([
            "-o", "/dev/null", "-d", "user_code=\(match.2)", "-d", "username=admin", "-d", "password=admin", "-d",
            "action=\(action)", String(match.1),
        ])
        process.waitUntilExit()
        let token = String(decoding: out.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        let rest = String(decoding: err.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        if action == "deny" {
            #expect(process.terminationStatus == 1)
            #expect(rest.hasPrefix("error: the token endpoint answered 400: access_denied"), "\(rest)")
            return
        }
        #expect(process.terminationStatus == 0, "\(rest)")
        let whoami = try CLI.run(["whoami", policy, "--provider", "nano", "--token", "-"], stdin: token)
        #expect(whoami.stdout.contains("username  admin (claim `sub`)"), "\(whoami.stdout)")
    }

    /// `token --grant authorization-code --no-browser` started, and the sign-in page it prints.
    static func startSignIn(_ policy: String) throws -> (process: Process, out: Pipe, err: Pipe, url: String) {
        let (process, out, err, shown) = try startToken(
            [
                "token", policy, "--provider", "nano", "--grant", "authorization-code", "--no-browser",
                "--client-secret-env", "NANO_CLIENT_SECRET", "--output", "json",
            ], until: "waiting for the browser")
        let match = try #require(shown.firstMatch(of: /Sign in at (\S+)/), "\(shown)")
        return (process, out, err, String(match.1))
    }

    /// The built binary started with `arguments`, and what it printed on standard error until
    /// `marker` (at most 20 s): a grant that waits for the person.
    static func startToken(_ arguments: [String], until marker: String) throws
        -> (process: Process, out: Pipe, err: Pipe, shown: String)
    {
        let process = Process()
        process.executableURL = CLI.binary
        process.arguments = arguments
        let out = Pipe(), err = Pipe()
        (process.standardOutput, process.standardError) = (out, err)
        try process.run()
        var shown = ""
        let deadline = Date().addingTimeInterval(20)
        while !shown.contains(marker), Date() < deadline {
            shown += String(decoding: err.fileHandleForReading.availableData, as: UTF8.self)
        }
        return (process, out, err, shown)
    }

    /// curl with `arguments`; its standard output.
    static func curl(_ arguments: [String]) throws -> String {
        let curl = Process()
        curl.executableURL = URL(fileURLWithPath: "/usr/bin/curl")
        curl.arguments = ["-s"] + arguments
        let out = Pipe()
        curl.standardOutput = out
        try curl.run()
        let text = String(decoding: out.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        curl.waitUntilExit()
        return text
    }

    /// The authorization-code grant with the test as the person: nanoidp's sign-in page fetched,
    /// its form posted with admin's credentials, the redirect followed to Gatehouse's loopback
    /// listener; the page asks for PKCE S256, state and nonce, and the token is admin's.
    @Test func authorizationCodeGrant() throws {
        setenv("NANO_CLIENT_SECRET", "demo-secret", 1)
        let policy = try Self.policyFile()
        let (process, out, err, url) = try Self.startSignIn(policy)
        let query = Dictionary(
            (URLComponents(string: url)?.queryItems ?? []).map { ($0.name, $0.value ?? "") }
        ) { first, _ in first }
        #expect(url.hasPrefix(Self.issuer + "/authorize?"))
        #expect(query["code_challenge_method"] == "S256" && query["code_challenge"]?.count == 43)
        #expect(query["state"]?.isEmpty == false && query["nonce"]?.isEmpty == false)
        #expect(query["redirect_uri"]?.wholeMatch(of: /http:\/\/127\.0\.0\.1:[0-9]+\/callback/) != nil)
        let jar = NSTemporaryDirectory() + "gatehouse-cookies-\(getpid())"
        let page = try Self.curl(["-c", jar, url])
        let transaction = try #require(page.firstMatch(of: /name="transaction_id" value="([^"]+)"/)).1
        let landed = try Self.curl([
            "-L", "-b", jar, "-c", jar, "-d", "transaction_id=\(transaction)", "-d", "username=admin", "-d",
            "password=admin", url,
        ])
        #expect(landed.contains("go back to the terminal"))
        process.waitUntilExit()
        let rest = String(decoding: err.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        #expect(process.terminationStatus == 0, "\(rest)")
        let response =
            try JSONSerialization.jsonObject(with: out.fileHandleForReading.readDataToEndOfFile()) as? [String: Any]
        let access = try #require(response?["access_token"] as? String)
        let whoami = try CLI.run(["whoami", policy, "--provider", "nano", "--token", "-"], stdin: access)
        #expect(whoami.stdout.contains("username  admin (claim `sub`)"), "\(whoami.stdout)")
    }

    /// A redirect whose `state` is not the one sent (a forged callback), or that names another
    /// issuer than nanoidp (RFC 9207's mix-up: the code came from elsewhere), is refused, and no
    /// code is exchanged.
    @Test(arguments: [
        ("state=forged", "the redirect's state is not the one sent: refused"),
        (
            "state=STATE&iss=https%3A%2F%2Fevil.example.com",
            "the redirect names the issuer `https://evil.example.com`, not the provider's `\(IdentityProviderCLITests.issuer)`: refused"
        ),
    ])
    func aForgedCallbackIsRefused(query: String, refusal: String) throws {
        setenv("NANO_CLIENT_SECRET", "demo-secret", 1)
        let (process, _, err, url) = try Self.startSignIn(try Self.policyFile())
        let items = URLComponents(string: url)?.queryItems ?? []
        let redirect = try #require(items.first { $0.name == "redirect_uri" }?.value)
        let state = try #require(items.first { $0.name == "state" }?.value)
        let forged = query.replacingOccurrences(of: "STATE", with: state)
        _ = try Self.curl([redirect + "?code=attacker-code&" + forged])
        process.waitUntilExit()
        let rest = String(decoding: err.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        #expect(process.terminationStatus == 1)
        #expect(rest == "error: \(refusal)\n")
    }

    @Test func tokenWhoamiEvaluate() throws {
        setenv("NANO_CLIENT_SECRET", "demo-secret", 1)
        let policy = try Self.policyFile()
        let token = try CLI.run(["token", policy, "--provider", "nano", "--client-secret-env", "NANO_CLIENT_SECRET"])
        #expect(token.status == 0, "\(token.stderr)")
        let value = token.stdout.trimmingCharacters(in: .whitespacesAndNewlines)
        #expect(value.split(separator: ".").count == 3)

        let whoami = try CLI.run(["whoami", policy, "--provider", "nano", "--token", "-"], stdin: value + "\n")
        #expect(whoami.status == 0)
        #expect(whoami.stdout.contains("username  demo-client (claim `sub`)"))
        #expect(!whoami.stdout.contains(value))

        let evaluate = try CLI.run([
            "evaluate", policy, "--path", "/api/things", "--header", "Authorization: Bearer \(value)", "--format",
            "json",
        ])
        #expect(evaluate.status == 0)
        let decision = try JSONSerialization.jsonObject(with: Data(evaluate.stdout.utf8)) as? [String: Any]
        #expect(decision?["code"] as? String == "rule.allow")
        #expect((decision?["identity"] as? [String: Any])?["username"] as? String == "demo-client")
        #expect(!evaluate.stdout.contains(value))
        if let folder = ProcessInfo.processInfo.environment["GATEHOUSE_DECISIONS_DIR"] {
            try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
            try evaluate.stdout.write(toFile: "\(folder)/nanoidp-allow.json", atomically: true, encoding: .utf8)
        }

        var tampered = Array(value)
        tampered[tampered.count - 2] = tampered[tampered.count - 2] == "A" ? "B" : "A"
        let refused = try CLI.run(["whoami", policy, "--provider", "nano", "--token", String(tampered)])
        #expect(refused.status == 1)
        #expect(refused.stdout.contains("refused   token.signature"))

        let bad = try CLI.run(["token", policy, "--provider", "nano", "--client-secret-env", "NO_SUCH_VARIABLE"])
        #expect(bad.status == 1)
        #expect(
            bad.stderr == "error: the environment variable `NO_SUCH_VARIABLE` holding the client secret is not set\n")
    }

    @Test func offlineVerificationWithASavedKeySet() throws {
        let policy = try Self.policyFile()
        setenv("NANO_CLIENT_SECRET", "demo-secret", 1)
        let value = try CLI.run(["token", policy, "--provider", "nano", "--client-secret-env", "NANO_CLIENT_SECRET"])
            .stdout.trimmingCharacters(in: .whitespacesAndNewlines)
        let jwks = NSTemporaryDirectory() + "gatehouse-nanoidp-\(getpid()).jwks.json"
        let curl = Process()
        curl.executableURL = URL(fileURLWithPath: "/usr/bin/curl")
        curl.arguments = ["-fsS", "-o", jwks, Self.issuer + "/.well-known/jwks.json"]
        try curl.run()
        curl.waitUntilExit()
        #expect(curl.terminationStatus == 0)
        let offline = try CLI.run([
            "evaluate", policy, "--path", "/api/x", "--header", "Authorization: Bearer \(value)", "--jwks", jwks,
        ])
        #expect(offline.status == 0)
        #expect(offline.stdout.hasPrefix("allow 200 rule.allow\n"))
        let empty = NSTemporaryDirectory() + "gatehouse-empty-\(getpid()).jwks.json"
        try #"{"keys":[]}"#.write(toFile: empty, atomically: true, encoding: .utf8)
        let refused = try CLI.run([
            "evaluate", policy, "--path", "/api/x", "--header", "Authorization: Bearer \(value)", "--jwks", empty,
        ])
        #expect(refused.status == 1)
        #expect(refused.stdout.hasPrefix("deny 401 token.unknown-key\n"))
    }
}
