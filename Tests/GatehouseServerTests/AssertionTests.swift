import Crypto
import Foundation
import Gatehouse
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import Testing
import _CryptoExtras

@testable import GatehouseIdentity
@testable import GatehouseServer

/// The signed assertion of `assertion:`: on every allow through a gateway's door, verifiable
/// against `/.well-known/jwks.json` by the key its `kid` names, reused per caller and rule until
/// shortly before it expires, empty for a caller nobody vouched for, absent on deny; keys that
/// cannot be read make the policy unusable, never a server that signs nothing.
@Suite struct AssertionTests {
    /// A folder with an Ed25519 key (`ed`) and a P-256 key (`p256`), and a policy naming them.
    static func policy(keys: String = "[{ file: keys/ed.pem, kid: ed }, { file: keys/p256.pem, kid: p256 }]")
        throws -> String
    {
        let folder = OperationsTests.temporary("assertion")
        try FileManager.default.createDirectory(atPath: folder + "/keys", withIntermediateDirectories: true)
        try Curve25519.Signing.PrivateKey().pemRepresentation.write(
            toFile: folder + "/keys/ed.pem", atomically: true, encoding: .utf8)
        try P256.Signing.PrivateKey().pemRepresentation.write(
            toFile: folder + "/keys/p256.pem", atomically: true, encoding: .utf8)
        let yaml =
            GatewayEndpointTests.yaml + """

                assertion:
                  issuer: https://gatehouse.test
                  audience: api
                  ttl: 60s
                  keys: \(keys)
                """
        try yaml.write(toFile: folder + "/policy.yaml", atomically: true, encoding: .utf8)
        return folder + "/policy.yaml"
    }

    static let bot = [("Authorization", "Bearer ci-token-123")]

    static func nginx(_ path: String, _ headers: [(String, String)] = bot) -> HTTPFields {
        GatewayEndpointTests.headers([("X-Original-URI", path), ("X-Original-Method", "GET")] + headers)
    }

    /// The claims of `token` when its signature verifies under the key of `jwks` its `kid` names.
    static func verified(_ token: String, _ jwks: [String: Any]) throws -> [String: Any] {
        let parts = token.split(separator: ".", omittingEmptySubsequences: false)
        try #require(parts.count == 3)
        let headerBytes = try #require(Base64URL.decode(parts[0]))
        let header = try #require(JSONSerialization.jsonObject(with: Data(headerBytes)) as? [String: Any])
        let keys = try #require(jwks["keys"] as? [[String: Any]])
        let key = try #require(keys.first { $0["kid"] as? String == header["kid"] as? String })
        let input = Data((parts[0] + "." + parts[1]).utf8)
        let signature = try #require(Base64URL.decode(parts[2]))
        func bytes(_ name: String) throws -> [UInt8] {
            let text = try #require(key[name] as? String)
            return try #require(Base64URL.decode(Substring(text)))
        }
        switch header["alg"] as? String {
        case "EdDSA":
            let publicKey = try Curve25519.Signing.PublicKey(rawRepresentation: try bytes("x"))
            try #require(publicKey.isValidSignature(signature, for: input))
        case "ES256":
            let publicKey = try P256.Signing.PublicKey(rawRepresentation: try bytes("x") + bytes("y"))
            let parsed = try P256.Signing.ECDSASignature(rawRepresentation: signature)
            try #require(publicKey.isValidSignature(parsed, for: input))
        default:
            Issue.record("unexpected alg \(header)")
        }
        let payload = try #require(Base64URL.decode(parts[1]))
        return try #require(JSONSerialization.jsonObject(with: Data(payload)) as? [String: Any])
    }

    @Test func everyAllowCarriesAnAssertionTheJWKSVerifies() async throws {
        let policy = ActivePolicy(try ActivePolicy.load(try Self.policy(), files: LocalFiles()).get())
        let app = Application(router: DecisionServer.router(policy: policy))
        try await app.test(.router) { client in
            let jwksResponse = try await client.execute(uri: "/.well-known/jwks.json", method: .get)
            #expect(jwksResponse.status == .ok)
            #expect(jwksResponse.headers[.cacheControl] == "max-age=60")
            let jwks = try #require(
                JSONSerialization.jsonObject(with: Data(buffer: jwksResponse.body)) as? [String: Any])
            let published = try #require(jwks["keys"] as? [[String: Any]])
            #expect(published.map { $0["kid"] as? String } == ["ed", "p256"])
            #expect(published.map { $0["alg"] as? String } == ["EdDSA", "ES256"])
            #expect(published.allSatisfy { $0["d"] == nil })  // never the private half

            let allowed = try await client.execute(
                uri: "/v1/auth/nginx", method: .get, headers: Self.nginx("/rest/things"))
            #expect(allowed.status == .ok)
            let token = try #require(allowed.headers[HTTPField.Name("X-Gatehouse-Assertion")!])
            let claims = try Self.verified(token, jwks)
            #expect(claims["iss"] as? String == "https://gatehouse.test")
            #expect(claims["aud"] as? String == "api")
            #expect(claims["username"] as? String == "ci-bot")
            #expect(claims["scheme"] as? String == "api_token")
            #expect(claims["rule"] as? String == "rest")
            #expect(claims["scopes"] as? [String] == ["deploy"])
            #expect(claims["decision_id"] as? String == allowed.headers[HTTPField.Name("X-Gatehouse-Decision")!])
            #expect(claims["revision"] as? String == policy.loaded?.revision)
            let issued = try #require(claims["iat"] as? Int)
            #expect(claims["exp"] as? Int == issued + 60)
            #expect(claims["sub"] == nil && claims["provider"] == nil)  // an API token has neither

            // The same caller and rule: the same assertion. Another rule: another one.
            let again = try await client.execute(
                uri: "/v1/auth/nginx", method: .get, headers: Self.nginx("/rest/other"))
            #expect(again.headers[HTTPField.Name("X-Gatehouse-Assertion")!] == token)
            let deploy = try await client.execute(
                uri: "/v1/auth/envoy/rest/deploy/web", method: .post, headers: GatewayEndpointTests.headers(Self.bot))
            let other = try #require(deploy.headers[HTTPField.Name("X-Gatehouse-Assertion")!])
            #expect(other != token)
            #expect(try Self.verified(other, jwks)["rule"] as? String == "deploy")

            // Nobody vouched for the caller: the header is sent empty; a denial carries none.
            let anonymous = try await client.execute(
                uri: "/v1/auth/nginx", method: .get, headers: Self.nginx("/status", []))
            #expect(anonymous.status == .ok)
            #expect(anonymous.headers[HTTPField.Name("X-Gatehouse-Assertion")!] == "")
            let denied = try await client.execute(
                uri: "/v1/auth/nginx", method: .get, headers: Self.nginx("/rest/admin/x"))
            #expect(denied.status == .forbidden)
            #expect(denied.headers[HTTPField.Name("X-Gatehouse-Assertion")!] == nil)
        }
    }

    @Test func anAssertionIsReusedUntilShortlyBeforeItExpires() throws {
        let loaded = try ActivePolicy.load(try Self.policy(), files: LocalFiles()).get()
        let signer = try #require(loaded.signer)
        #expect(signer.margin == 15)
        let start = Date(timeIntervalSince1970: 1_800_000_000)
        let decision = loaded.evaluator.decide(
            APIRequest(method: "GET", target: "/rest/x"),
            identity: Identity(username: "ann", subject: "u-1", scheme: .apiToken, groups: ["ops"]), now: start)
        #expect(decision.isAllowed)
        let first = signer.assertion(for: decision, id: "0000000000000001", revision: loaded.revision, now: start)
        let later = signer.assertion(
            for: decision, id: "0000000000000002", revision: loaded.revision, now: start + 44)
        let renewed = signer.assertion(
            for: decision, id: "0000000000000003", revision: loaded.revision, now: start + 45)
        #expect(!first.isEmpty && later == first)
        #expect(renewed != first)
        let jwks = try #require(JSONSerialization.jsonObject(with: Data(signer.jwks.utf8)) as? [String: Any])
        let claims = try Self.verified(renewed, jwks)
        #expect(claims["decision_id"] as? String == "0000000000000003")
        #expect(claims["iat"] as? Int == 1_800_000_045)
        #expect(claims["sub"] as? String == "u-1")
        #expect(claims["groups"] as? [String] == ["ops"])
    }

    @Test func keysThatCannotBeReadMakeThePolicyUnusable() throws {
        let path = try Self.policy()
        // A bundle carries no private key: a relative path there is refused.
        let fromBundle = ActivePolicy.load(path, files: LocalFiles(), fromBundle: true)
        guard case .failure(let relative) = fromBundle else {
            Issue.record("a bundle's relative key path was accepted")
            return
        }
        #expect(relative.diagnostics.map(\.code) == ["check.invalid-key"])
        #expect(relative.summary.contains("relative, and a bundle carries no private key"))

        let folder = URL(fileURLWithPath: path).deletingLastPathComponent().path
        try "not a key".write(toFile: folder + "/keys/p256.pem", atomically: true, encoding: .utf8)
        guard case .failure(let broken) = ActivePolicy.load(path, files: LocalFiles()) else {
            Issue.record("a broken key was accepted")
            return
        }
        #expect(broken.summary.contains("assertion key `p256`: `\(folder)/keys/p256.pem` is not a P-256 or Ed25519"))
        let secret = try String(contentsOfFile: folder + "/keys/ed.pem", encoding: .utf8)
        #expect(!broken.description.contains(secret.split(separator: "\n")[1]))
        try FileManager.default.removeItem(atPath: folder + "/keys/p256.pem")
        guard case .failure(let missing) = ActivePolicy.load(path, files: LocalFiles()) else {
            Issue.record("a missing key was accepted")
            return
        }
        #expect(missing.summary.contains("cannot be read [check.invalid-key]"))
    }

    @Test func aPolicyWithoutAssertionsPublishesNoKeys() async throws {
        let app = try GatewayEndpointTests.app()
        try await app.test(.router) { client in
            let response = try await client.execute(uri: "/.well-known/jwks.json", method: .get)
            #expect(response.status == .notFound)
            let allowed = try await client.execute(
                uri: "/v1/auth/nginx", method: .get, headers: Self.nginx("/rest/things"))
            #expect(allowed.status == .ok)
            #expect(allowed.headers[HTTPField.Name("X-Gatehouse-Assertion")!] == nil)
        }
    }

    @Test(arguments: [
        ("ttl: 2s", "check.invalid-duration"),
        ("ttl: 1h", "check.invalid-duration"),
        ("header: X-Auth-User", "check.invalid-header"),
        ("header: Bad Header", "check.invalid-header"),
        ("header: X-Identity-JWT", "check.gateway-header"),
        ("audience: \"\"", "check.invalid-value"),
        ("keys: []", "check.wrong-type"),
        ("keys: [{ file: a.pem, kid: k }, { file: b.pem, kid: k }]", "check.duplicate-id"),
        ("keys: [{ file: a.pem, kid: \"no spaces\" }]", "check.invalid-value"),
        ("keys: [{ file: a.pem }]", "check.missing-key"),
        ("signer: me", "check.unknown-key"),
    ])
    func theSectionIsChecked(line: String, code: String) throws {
        var fields = [
            "issuer": "issuer: https://gatehouse.test", "audience": "audience: api",
            "keys": "keys: [{ file: a.pem, kid: k }]",
        ]
        let key = String(line.prefix { $0 != ":" })
        fields[key] = line
        let yaml = GatewayEndpointTests.yaml + "\nassertion:\n" + fields.values.sorted().map { "  \($0)\n" }.joined()
        let result = PolicyChecker.check(SourceFile(name: "p.yaml", text: yaml))
        #expect(result.diagnostics.map(\.code) == [code], "\(line): \(result.diagnostics.map(\.message))")
        #expect((result.policy == nil) == (code != "check.gateway-header"))
    }
}
