import Foundation
import Testing

/// `gatehouse bundle build|sign|verify` with keys made by openssl and archives read and made by
/// GNU tar; `check`, `test` and `evaluate` reading a bundle as they read its policy; and `serve`
/// refusing bundle options that do not add up.
@Suite struct BundleCLITests {
    static let policy = """
        version: 1
        name: bundled
        basic:
          htpasswd: users.htpasswd
        schemes: [basic]
        rules:
          - id: all
            match: { path: /** }
            require: authenticated

        """
    // legacy-pass, bcrypt cost 4
    static let htpasswd = "legacy:$2b$04$abcdefghijklmnopqrstuuzWXr.po7nfCYH1wq50YeRlcMgvcOYGe\n"
    static let tests = """
        policy: app.tar
        cases:
          - name: legacy signs in
            request: { method: GET, path: /x, headers: { Authorization: "Basic bGVnYWN5OmxlZ2FjeS1wYXNz" } }
            expect: { decision: allow, status: 200, code: rule.allow, rule: all, username: legacy }

        """

    /// A fresh folder with the policy, its htpasswd file and the test file.
    static func workspace() throws -> String {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("gatehouse-bundle-\(UUID())").path
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        try policy.write(toFile: folder + "/app.yaml", atomically: true, encoding: .utf8)
        try htpasswd.write(toFile: folder + "/users.htpasswd", atomically: true, encoding: .utf8)
        try tests.write(toFile: folder + "/app.test.yaml", atomically: true, encoding: .utf8)
        return folder
    }

    /// Runs a tool (openssl, tar, git) in `folder`; records an issue when it fails.
    @discardableResult
    static func tool(_ arguments: [String], in folder: String) throws -> String {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = arguments
        process.currentDirectoryURL = URL(fileURLWithPath: folder)
        let out = Pipe()
        process.standardOutput = out
        process.standardError = FileHandle.nullDevice
        try process.run()
        let data = out.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        #expect(process.terminationStatus == 0, "\(arguments.joined(separator: " "))")
        return String(decoding: data, as: UTF8.self)
    }

    /// An Ed25519 key pair made by openssl: (private, public) PEM paths.
    static func ed25519(in folder: String, name: String = "signing") throws -> (String, String) {
        try tool(["openssl", "genpkey", "-algorithm", "ed25519", "-out", "\(name).pem"], in: folder)
        try tool(["openssl", "pkey", "-in", "\(name).pem", "-pubout", "-out", "\(name).pub.pem"], in: folder)
        return ("\(folder)/\(name).pem", "\(folder)/\(name).pub.pem")
    }

    @Test func aBundleIsBuiltSignedVerifiedAndReadLikeItsPolicy() throws {
        let folder = try Self.workspace()
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let bundle = folder + "/app.tar"
        let built = try CLI.run(["bundle", "build", folder + "/app.yaml", "--output", bundle, "--revision", "v1"])
        #expect(built.status == 0, "\(built.stderr)")
        #expect(built.stdout.hasPrefix("\(bundle): revision v1, 2 file(s), built "))
        #expect(built.stdout.hasSuffix(", unsigned\n"))
        #expect(try Self.tool(["tar", "-tf", bundle], in: folder) == ".manifest\napp.yaml\nusers.htpasswd\n")

        let (key, publicKey) = try Self.ed25519(in: folder)
        let signed = try CLI.run(["bundle", "sign", bundle, "--key", key])
        #expect(signed.status == 0, "\(signed.stderr)")
        #expect(signed.stdout.wholeMatch(of: /.*app\.tar: signed by [A-Za-z0-9_-]{43}, revision v1\n/) != nil)
        #expect(!signed.stdout.contains("PRIVATE"))
        #expect(try Self.tool(["tar", "-tf", bundle], in: folder).hasSuffix(".signatures.json\n"))

        let verified = try CLI.run(["bundle", "verify", bundle, "--public-key", publicKey])
        #expect(verified.status == 0)
        #expect(verified.stdout.hasPrefix("\(bundle): verified, revision v1, built "))
        #expect(verified.stdout.hasSuffix(", 1 rule(s)\n"))

        let (_, otherKey) = try Self.ed25519(in: folder, name: "other")
        let refused = try CLI.run(["bundle", "verify", bundle, "--public-key", otherKey])
        #expect(refused.status == 1)
        #expect(
            refused.stderr
                == "error: \(bundle): the bundle's signature does not verify: no signature verifies with the given keys\n"
        )
        let rotated = try CLI.run(["bundle", "verify", bundle, "--public-key", otherKey, "--public-key", publicKey])
        #expect(rotated.status == 0)

        let checked = try CLI.run(["check", bundle])
        #expect(checked.status == 0)
        #expect(checked.stdout == "\(bundle): ok (1 rule(s), 0 provider(s))\n")
        let tested = try CLI.run(["test", folder + "/app.test.yaml"])
        #expect(tested.status == 0, "\(tested.stdout)\(tested.stderr)")
        let arguments = [
            "--method", "GET", "--path", "/x", "--header", "Authorization: Basic bGVnYWN5OmxlZ2FjeS1wYXNz",
        ]
        let fromBundle = try CLI.run(["evaluate", bundle, "--format", "json"] + arguments)
        let fromFiles = try CLI.run(["evaluate", folder + "/app.yaml", "--format", "json"] + arguments)
        #expect(fromBundle.status == 0)
        #expect(fromBundle.stdout.replacingOccurrences(of: "app.tar!/", with: "") == fromFiles.stdout)
        let answered = try CLI.run(
            ["evaluate", bundle, "--gateway", "nginx", "--format", "json", "--header", "X-Original-URI: /x"]
                + ["--header", "X-Original-Method: GET"] + arguments.suffix(2))
        let printed = try JSONSerialization.jsonObject(with: Data(answered.stdout.utf8)) as? [String: Any]
        let headers = (printed?["answer"] as? [String: Any])?["headers"] as? [String: String]
        #expect(headers?["X-Gatehouse-Revision"] == "v1")
        #expect(headers?["X-Auth-User"] == "legacy")
        #expect(printed?["code"] as? String == "rule.allow")
    }

    @Test func es256KeysFromOpenSSLSignToo() throws {
        let folder = try Self.workspace()
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let bundle = folder + "/app.tar"
        #expect(try CLI.run(["bundle", "build", folder + "/app.yaml", "--output", bundle]).status == 0)
        try Self.tool(["openssl", "ecparam", "-name", "prime256v1", "-genkey", "-noout", "-out", "ec.pem"], in: folder)
        try Self.tool(["openssl", "ec", "-in", "ec.pem", "-pubout", "-out", "ec.pub.pem"], in: folder)
        let signed = try CLI.run(["bundle", "sign", bundle, "--key", folder + "/ec.pem", "--kid", "ci-2026"])
        #expect(signed.status == 0, "\(signed.stderr)")
        #expect(signed.stdout.hasSuffix(": signed by ci-2026, revision \(try Self.revisionOf(bundle))\n"))
        #expect(try CLI.run(["bundle", "verify", bundle, "--public-key", folder + "/ec.pem"]).status == 65)
        #expect(try CLI.run(["bundle", "verify", bundle, "--public-key", folder + "/ec.pub.pem"]).status == 0)
        let rsa = try CLI.run(["bundle", "sign", bundle, "--key", folder + "/users.htpasswd"])
        #expect(rsa.status == 65)
        #expect(rsa.stderr == "error: the signing key is not an Ed25519 or P-256 private key in PEM\n")
    }

    /// A private key for the upstream assertion is never packed: `bundle build` refuses a key
    /// named by a relative path (it would be looked for inside the bundle), and with an absolute
    /// one the bundle holds only the policy and its htpasswd. `check` reads the key as `serve`
    /// would, from a file's folder or by absolute path for a bundle, and says when it cannot.
    @Test func assertionKeysStayOutOfBundles() throws {
        let folder = try Self.workspace()
        defer { try? FileManager.default.removeItem(atPath: folder) }
        try Self.tool(["openssl", "genpkey", "-algorithm", "ed25519", "-out", "assert.pem"], in: folder)
        func policy(_ name: String, key: String) throws -> String {
            let text =
                Self.policy + """
                    assertion:
                      issuer: https://gatehouse.test
                      audience: api
                      keys: [{ file: \(key), kid: a1 }]

                    """
            try text.write(toFile: folder + "/" + name, atomically: true, encoding: .utf8)
            return folder + "/" + name
        }
        let relative = try policy("relative.yaml", key: "assert.pem")
        #expect(try CLI.run(["check", relative]).status == 0)
        let refused = try CLI.run(["bundle", "build", relative, "--output", folder + "/r.tar"])
        #expect(refused.status == 65)
        #expect(
            refused.stderr
                == "error: \(relative):13:18: assertion key `a1` is named by the relative path `assert.pem`; a bundle carries no private key, so name the key's absolute path on the servers\n"
        )
        #expect(!FileManager.default.fileExists(atPath: folder + "/r.tar"))

        let absolute = try policy("absolute.yaml", key: folder + "/assert.pem")
        let bundle = folder + "/a.tar"
        #expect(try CLI.run(["bundle", "build", absolute, "--output", bundle]).status == 0)
        let packed = try Self.tool(["tar", "-tf", bundle], in: folder).split(separator: "\n").sorted()
        #expect(packed == [".manifest", "absolute.yaml", "users.htpasswd"])
        #expect(try CLI.run(["check", bundle]).status == 0)
        try FileManager.default.removeItem(atPath: folder + "/assert.pem")
        let missing = try CLI.run(["check", bundle])
        #expect(missing.status == 1)
        #expect(
            missing.stdout.contains(
                "error[check.invalid-key]: assertion key `a1`: `\(folder)/assert.pem` cannot be read\n"),
            "\(missing.stdout)")
    }

    /// The revision in `bundle`'s manifest, as GNU tar extracts it.
    static func revisionOf(_ bundle: String) throws -> String {
        let listed = try Self.tool(["tar", "-xOf", bundle, ".manifest"], in: "/")
        let manifest = try JSONSerialization.jsonObject(with: Data(listed.utf8)) as? [String: Any]
        return manifest?["revision"] as? String ?? ""
    }

    @Test func theRevisionIsTheCommitOfACleanWorkTree() throws {
        let folder = try Self.workspace()
        defer { try? FileManager.default.removeItem(atPath: folder) }
        for command in [
            ["git", "init", "-q"], ["git", "add", "app.yaml", "users.htpasswd"],
            ["git", "-c", "user.name=t", "-c", "user.email=t@example.com", "commit", "-qm", "policy"],
        ] {
            try Self.tool(command, in: folder)
        }
        let commit = try Self.tool(["git", "rev-parse", "HEAD"], in: folder).trimmingCharacters(in: .newlines)
        let bundle = folder + "/out.tar"
        #expect(try CLI.run(["bundle", "build", folder + "/app.yaml", "--output", bundle]).status == 0)
        #expect(try Self.revisionOf(bundle) == commit)
        try (Self.policy + "# uncommitted\n").write(toFile: folder + "/app.yaml", atomically: true, encoding: .utf8)
        #expect(try CLI.run(["bundle", "build", folder + "/app.yaml", "--output", bundle]).status == 0)
        #expect(try Self.revisionOf(bundle).wholeMatch(of: /sha256:[0-9a-f]{12}/) != nil)
    }

    /// Archives GNU tar makes that a bundle must never be: each refused by every command with
    /// the same reason, exit 65.
    @Test func unsafeArchivesMadeByTarAreRefused() throws {
        let folder = try Self.workspace()
        defer { try? FileManager.default.removeItem(atPath: folder) }
        try FileManager.default.createSymbolicLink(atPath: folder + "/link", withDestinationPath: "/etc/passwd")
        try Self.tool(["tar", "--format=ustar", "-cf", "link.tar", "app.yaml", "link"], in: folder)
        try Self.tool(["tar", "--format=ustar", "-cPf", "absolute.tar", folder + "/app.yaml"], in: folder)
        try Self.tool(["tar", "--format=ustar", "-cf", "twice.tar", "app.yaml"], in: folder)
        try Self.tool(["tar", "--format=ustar", "-rf", "twice.tar", "app.yaml"], in: folder)  // appended again
        try Self.tool(["tar", "--format=pax", "-cf", "pax.tar", "app.yaml"], in: folder)
        let expected = [
            "link.tar": "`link` is a link; a bundle holds regular files only",
            "absolute.tar": "member `\(folder)/app.yaml` is an absolute path",
            "twice.tar": "`app.yaml` is in the bundle twice",
            "pax.tar": "the bundle has an extension header (pax or GNU); a bundle is plain ustar",
        ]
        for (name, why) in expected {
            let path = folder + "/" + name
            for arguments in [
                ["check", path], ["evaluate", path, "--path", "/x"], ["bundle", "sign", path, "--key", "k"],
            ] {
                let output = try CLI.run(arguments)
                #expect(output.status == 65, "\(arguments)")
                #expect(output.stderr.contains("the bundle is not a safe archive: "), "\(arguments): \(output.stderr)")
                #expect(output.stderr.contains(why), "\(arguments): \(output.stderr)")
            }
        }
    }

    @Test(arguments: [
        (["serve"], "give a policy file or --bundle URL, not both and not neither"),
        (
            ["serve", "policies/confluence-okta.yaml", "--bundle", "http://127.0.0.1:1/b.tar"],
            "give a policy file or --bundle URL, not both and not neither"
        ),
        (
            ["serve", "--bundle", "http://127.0.0.1:1/b.tar"],
            "bundles must be signed: give --bundle-public-key PEM (or, knowingly, --allow-unsigned-bundles)"
        ),
        (
            [
                "serve", "--bundle", "http://127.0.0.1:1/b.tar", "--bundle-public-key", "k.pem",
                "--allow-unsigned-bundles",
            ],
            "--allow-unsigned-bundles and --bundle-public-key contradict each other; give one"
        ),
        (
            ["serve", "--bundle", "ftp://host/b.tar", "--allow-unsigned-bundles"],
            "`ftp://host/b.tar` is not an http:// or https:// URL without credentials"
        ),
        (
            ["serve", "--bundle", "https://user:pw@host/b.tar", "--allow-unsigned-bundles"],
            "`https://user:pw@host/b.tar` is not an http:// or https:// URL without credentials"
        ),
        (
            [
                "serve", "--bundle", "http://bundles.example.com/b.tar", "--allow-unsigned-bundles",
                "--bundle-token-env", "T",
            ],
            "the bundle token would travel in clear text to `bundles.example.com`; use https://"
        ),
        (
            [
                "serve", "--bundle", "http://127.0.0.1:1/b.tar", "--allow-unsigned-bundles", "--poll-min", "1m",
                "--poll-max", "10s",
            ],
            "--poll-min and --poll-max take durations (e.g. 10s) with 0 < min <= max"
        ),
        (
            ["serve", "policies/confluence-okta.yaml", "--bundle-cache", "/tmp/x"],
            "--bundle-public-key, --allow-unsigned-bundles, --bundle-cache and --bundle-token-* need --bundle or --shadow-bundle"
        ),
        (
            [
                "serve", "policies/confluence-okta.yaml", "--shadow", "a.yaml", "--shadow-bundle",
                "http://127.0.0.1:1/b",
            ],
            "give --shadow or --shadow-bundle, not both"
        ),
    ])
    func serveRefusesBundleOptionsThatDoNotAddUp(_ arguments: [String], _ message: String) throws {
        let output = try CLI.run(arguments)
        #expect(output.status == 64)
        #expect(output.stderr.contains("Error: \(message)"), "\(output.stderr)")
    }
}
