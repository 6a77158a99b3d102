import ArgumentParser
import Foundation
import Gatehouse
import GatehouseBundle

/// `gatehouse bundle`: pack a policy and the files it names into a signed bundle for `serve
/// --bundle`, and check one.
struct BundleCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "bundle",
        abstract: "Build, sign and verify policy bundles.",
        discussion: """
            Example:
              gatehouse bundle build policies/confluence-okta.yaml --output dist/confluence.tar
              gatehouse bundle sign dist/confluence.tar --key bundle-signing.pem
              gatehouse bundle verify dist/confluence.tar --public-key bundle-signing.pub.pem

            A bundle is a tar archive of the policy, every file it names, a manifest with each \\
            file's SHA-256, the revision (the git commit of a clean work tree, else a digest of the \\
            files) and the build time, and detached signatures (EdDSA or ES256) over the manifest. \\
            check, test and evaluate read a bundle wherever they read a policy.
            """,
        subcommands: [Build.self, Sign.self, Verify.self])

    struct Build: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Pack a policy and every file it names into an unsigned bundle.")

        @Argument(help: "The policy file.")
        var policy: String

        @Option(help: "Where to write the bundle.")
        var output: String

        @Option(help: "The revision to record (default: the git commit of a clean work tree, else a digest).")
        var revision: String?

        func run() throws {
            let loaded = try Loading.load(policy)
            // The servers read the assertion keys from their own disks; the bundle never carries one.
            if let key = loaded.policy?.assertion?.keys.first(where: { !$0.path.hasPrefix("/") }) {
                throw Loading.unreadable(
                    "error: \(key.location): assertion key `\(key.kid)` is named by the relative path `\(key.path)`; a bundle carries no private key, so name the key's absolute path on the servers\n"
                )
            }
            let bytes: [UInt8]
            do {
                bytes = try BundleBuilder.build(
                    loaded, revision: revision ?? Self.gitRevision(loaded.sources.map(\.name)), builtAt: Date())
            } catch {
                throw Loading.unreadable("error: \(error)\n")
            }
            try Loading.write(bytes, to: output)
            let bundle = try Loading.openBundle(output)
            Standard.out(
                "\(output): revision \(bundle.manifest.revision), \(bundle.manifest.files.count) file(s), built \(bundle.manifest.builtAt), unsigned\n"
            )
        }

        /// The commit of the git work tree the files are in, when none of them has uncommitted
        /// changes; nil otherwise (or outside git).
        static func gitRevision(_ files: [String]) -> String? {
            guard let first = files.first else { return nil }
            let folder = URL(fileURLWithPath: first).deletingLastPathComponent().path
            guard let commit = git(["-C", folder, "rev-parse", "HEAD"]),
                let status = git(
                    ["-C", folder, "status", "--porcelain", "--"] + files.map { URL(fileURLWithPath: $0).path }),
                status.isEmpty
            else { return nil }
            return commit
        }

        private static func git(_ arguments: [String]) -> String? {
            let process = Process()
            process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
            process.arguments = ["git"] + arguments
            let out = Pipe()
            process.standardOutput = out
            process.standardError = FileHandle.nullDevice
            guard (try? process.run()) != nil else { return nil }
            let data = out.fileHandleForReading.readDataToEndOfFile()
            process.waitUntilExit()
            guard process.terminationStatus == 0 else { return nil }
            return String(decoding: data, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
        }
    }

    struct Sign: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Sign a bundle's manifest with an Ed25519 (EdDSA) or P-256 (ES256) private key.")

        @Argument(help: "The bundle.")
        var bundle: String

        @Option(help: "The private key, PEM (PKCS #8, or SEC 1 for P-256). Never printed.")
        var key: String

        @Option(help: "The key id to write (default: the key's JWK thumbprint).")
        var kid: String?

        @Option(help: "Where to write the signed bundle (default: over the bundle).")
        var output: String?

        func run() throws {
            let opened = try Loading.openBundle(bundle)
            let pem = try Loading.source(key).text
            do {
                let signingKey = try BundleSigningKey(pem: pem, kid: kid)
                try Loading.write(try opened.signed(with: signingKey), to: output ?? bundle)
                Standard.out("\(output ?? bundle): signed by \(signingKey.kid), revision \(opened.manifest.revision)\n")
            } catch {
                throw Loading.unreadable("error: \(error)\n")
            }
        }
    }

    struct Verify: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Check a bundle: its archive, files, signature and policy.",
            discussion:
                "Exits 0 when it verifies, 1 when its signature or policy is refused, 65 when it cannot be read.")

        @Argument(help: "The bundle.")
        var bundle: String

        @Option(name: .customLong("public-key"), help: "A public key, PEM. Repeatable (rotation).")
        var publicKeys: [String]

        func validate() throws {
            guard !publicKeys.isEmpty else { throw ValidationError("give --public-key") }
        }

        func run() throws {
            let opened = try Loading.openBundle(bundle)
            let keys = try Loading.publicKeys(publicKeys)
            do {
                try opened.verify(with: keys)
            } catch {
                Standard.error("error: \(bundle): \(error)\n")
                throw Exit.findings
            }
            let loaded = PolicyLoader.load(opened.policyPath(at: bundle), files: opened.files(at: bundle))
            if let failure = loaded.failure {
                Standard.error(failure)
                throw Exit.findings
            }
            Standard.out(
                "\(bundle): verified, revision \(opened.manifest.revision), built \(opened.manifest.builtAt), \(loaded.compiled?.rules.count ?? 0) rule(s)\n"
            )
        }
    }
}
