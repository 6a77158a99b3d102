import Crypto
import Foundation
import Gatehouse
import Testing
import _CryptoExtras

@testable import GatehouseBundle

/// Building, opening and verifying bundles: the manifest must be exactly the files, and a
/// signature must cover the manifest under one of the keys.
struct PolicyBundleTests {
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
    static let builtAt = Date(timeIntervalSince1970: 1_800_000_000)

    /// The policy above, as if read from `policies/`.
    static func loaded(policy: String = policy) -> LoadedPolicy {
        PolicyLoader.load(
            SourceFile(name: "policies/app.yaml", text: policy),
            files: InMemoryFiles(["policies/users.htpasswd": htpasswd]))
    }

    static func bundle(revision: String? = "abc123", builtAt: Date = builtAt) throws -> [UInt8] {
        try BundleBuilder.build(loaded(), revision: revision, builtAt: builtAt)
    }

    static let edKey = Curve25519.Signing.PrivateKey()
    static let p256Key = P256.Signing.PrivateKey()
    static func signing(_ key: Curve25519.Signing.PrivateKey = edKey) throws -> BundleSigningKey {
        try BundleSigningKey(pem: key.pemRepresentation)
    }
    static func verifying(_ key: Curve25519.Signing.PrivateKey = edKey) throws -> BundlePublicKey {
        try BundlePublicKey(pem: key.publicKey.pemRepresentation)
    }

    /// The members of `bytes`, rewritten by `change` and packed again.
    static func repacked(_ bytes: [UInt8], _ change: (inout [TarArchive.Member]) -> Void) throws -> [UInt8] {
        var members = try TarArchive.read(bytes).members
        change(&members)
        return TarArchive(members: members).bytes(modified: 0)
    }

    @Test func aBundleHoldsThePolicyItsFilesAndTheirDigests() throws {
        let opened = try PolicyBundle.open(try Self.bundle())
        let manifest = opened.manifest
        #expect(manifest.version == 1)
        #expect(manifest.revision == "abc123")
        #expect(manifest.builtAt == "2027-01-15T08:00:00Z")
        #expect(manifest.policy == "app.yaml")
        #expect(
            manifest.files == [
                "app.yaml": PolicyRevision.hex(SHA256.hash(data: Array(Self.policy.utf8))),
                "users.htpasswd": PolicyRevision.hex(SHA256.hash(data: Array(Self.htpasswd.utf8))),
            ])
        #expect(opened.signatures.isEmpty)
        let reloaded = PolicyLoader.load(opened.policyPath(at: "b.tar"), files: opened.files(at: "b.tar"))
        #expect(reloaded.compiled != nil)
        #expect(reloaded.sources.map(\.name) == ["b.tar!/app.yaml", "b.tar!/users.htpasswd"])
    }

    @Test func theRevisionIsTheFilesDigestWhereverTheyAre() throws {
        let here = PolicyRevision.of(Self.loaded().sources)
        let elsewhere = PolicyRevision.of([
            SourceFile(name: "/srv/other/app.yaml", text: Self.policy),
            SourceFile(name: "/srv/other/users.htpasswd", text: Self.htpasswd),
        ])
        #expect(here == elsewhere)
        #expect(here.wholeMatch(of: /sha256:[0-9a-f]{12}/) != nil)
        let changed = PolicyRevision.of(Self.loaded(policy: Self.policy + "# changed\n").sources)
        #expect(changed != here)
        let opened = try PolicyBundle.open(try Self.bundle(revision: nil))
        #expect(opened.manifest.revision == here)
        let fromBundle = PolicyLoader.load(opened.policyPath(at: "x.tar"), files: opened.files(at: "x.tar"))
        #expect(PolicyRevision.of(fromBundle.sources) == here)
    }

    @Test func aPolicyThatDoesNotCheckIsNotBundled() {
        let broken = PolicyLoader.load(
            SourceFile(name: "p.yaml", text: "version: 1\nrules: [oops\n"), files: InMemoryFiles([:]))
        #expect(throws: BundleError.policyInvalid("p.yaml:3:1: did not find expected ',' or ']' [yaml.syntax]")) {
            try BundleBuilder.build(broken, revision: nil, builtAt: Self.builtAt)
        }
    }

    @Test func theFilesMustBeExactlyTheManifests() throws {
        let bundle = try Self.bundle()
        let extra = try Self.repacked(bundle) { $0.append(TarArchive.Member(name: "extra.yaml", bytes: [65])) }
        #expect(throws: BundleError.filesMismatch("`extra.yaml` is not in the manifest")) {
            try PolicyBundle.open(extra)
        }
        let changed = try Self.repacked(bundle) { members in
            let index = members.firstIndex { $0.name == "users.htpasswd" }!
            members[index] = TarArchive.Member(name: "users.htpasswd", bytes: Array("root:$2b$04$x\n".utf8))
        }
        #expect(throws: BundleError.filesMismatch("the SHA-256 of `users.htpasswd` is not the manifest's")) {
            try PolicyBundle.open(changed)
        }
        let missing = try Self.repacked(bundle) { $0.removeAll { $0.name == "users.htpasswd" } }
        #expect(throws: BundleError.filesMismatch("`users.htpasswd` is in the manifest but not in the bundle")) {
            try PolicyBundle.open(missing)
        }
        let noManifest = try Self.repacked(bundle) { $0.removeAll { $0.name == ".manifest" } }
        #expect(throws: BundleError.badManifest("the bundle has no `.manifest`")) { try PolicyBundle.open(noManifest) }
    }

    @Test(arguments: [
        (
            #"{"version":2,"revision":"r","built_at":"2027-01-15T08:00:00Z","policy":"a","files":{"a":"x"}}"#,
            "version 2 is not supported"
        ),
        (
            #"{"version":1,"revision":"r","built_at":"yesterday","policy":"a","files":{"a":"x"}}"#,
            "`built_at` is not an RFC 3339 instant"
        ),
        (
            #"{"version":1,"revision":"r s","built_at":"2027-01-15T08:00:00Z","policy":"a","files":{"a":"x"}}"#,
            "`revision` is not a short printable name"
        ),
        (
            #"{"version":1,"revision":"r","built_at":"2027-01-15T08:00:00Z","policy":"b","files":{"a":"x"}}"#,
            "the policy `b` is not among its files"
        ),
        (#"{"version":1,"revision":"r"}"#, "it is not the JSON of a manifest"),
    ])
    func aWrongManifestIsRefused(_ manifest: String, _ why: String) {
        #expect(throws: BundleError.badManifest(why)) { try BundleManifest.parse(Array(manifest.utf8)) }
    }

    @Test func signaturesVerifyUnderTheirKeyOnly() throws {
        let bundle = try Self.bundle()
        #expect(throws: BundleError.unsigned) { try PolicyBundle.open(bundle).verify(with: [try Self.verifying()]) }

        let signed = try PolicyBundle.open(bundle).signed(with: try Self.signing())
        let opened = try PolicyBundle.open(signed)
        try opened.verify(with: [try Self.verifying()])
        let other = Curve25519.Signing.PrivateKey()
        #expect(throws: BundleError.badSignature("no signature verifies with the given keys")) {
            try opened.verify(with: [try Self.verifying(other)])
        }
        try opened.verify(with: [try Self.verifying(other), try Self.verifying()])

        let p256 = try BundleSigningKey(pem: Self.p256Key.pemRepresentation)
        let es256 = try PolicyBundle.open(try PolicyBundle.open(bundle).signed(with: p256))
        try es256.verify(with: [try BundlePublicKey(pem: Self.p256Key.publicKey.pemRepresentation)])
        #expect(throws: BundleError.badSignature("no signature verifies with the given keys")) {
            try es256.verify(with: [try Self.verifying()])
        }
        let header = try #require(Base64URL.decode(es256.signatures[0].split(separator: ".")[0]))
        #expect(
            String(decoding: header, as: UTF8.self)
                == #"{"alg":"ES256","kid":"\#(p256.kid)","typ":"gatehouse-bundle+jws"}"#)
    }

    @Test func aStrippedOrMovedSignatureDoesNotVerify() throws {
        let signed = try PolicyBundle.open(try Self.bundle()).signed(with: try Self.signing())
        let stripped = try Self.repacked(signed) { $0.removeAll { $0.name == PolicyBundle.signaturesName } }
        #expect(throws: BundleError.unsigned) { try PolicyBundle.open(stripped).verify(with: [try Self.verifying()]) }

        // The signature of one build moved onto another: the manifests differ in their build time.
        let later = try Self.bundle(builtAt: Self.builtAt + 60)
        let signatures = try TarArchive.read(signed).member(PolicyBundle.signaturesName)!
        let moved = try Self.repacked(later) { $0.append(signatures) }
        #expect(throws: BundleError.badSignature("no signature verifies with the given keys")) {
            try PolicyBundle.open(moved).verify(with: [try Self.verifying()])
        }

        // A file changed and the manifest rewritten to match: the signature no longer covers it.
        let tampered = try Self.repacked(signed) { members in
            let rogue = Array("root:$2b$04$abcdefghijklmnopqrstuuzWXr.po7nfCYH1wq50YeRlcMgvcOYGe\n".utf8)
            var manifest = try! JSONSerialization.jsonObject(with: Data(members[0].bytes)) as! [String: Any]
            var files = manifest["files"] as! [String: String]
            files["users.htpasswd"] = PolicyRevision.hex(SHA256.hash(data: rogue))
            manifest["files"] = files
            members[0] = TarArchive.Member(
                name: ".manifest",
                bytes: Array(try! JSONSerialization.data(withJSONObject: manifest, options: .sortedKeys)))
            let index = members.firstIndex { $0.name == "users.htpasswd" }!
            members[index] = TarArchive.Member(name: "users.htpasswd", bytes: rogue)
        }
        let opened = try PolicyBundle.open(tampered)
        #expect(throws: BundleError.badSignature("no signature verifies with the given keys")) {
            try opened.verify(with: [try Self.verifying()])
        }

        let garbled = try Self.repacked(signed) { members in
            let index = members.firstIndex { $0.name == PolicyBundle.signaturesName }!
            members[index] = TarArchive.Member(
                name: PolicyBundle.signaturesName, bytes: Array(#"{"signatures":["not-a-jws"]}"#.utf8))
        }
        #expect(throws: BundleError.badSignature("a signature is not a detached compact JWS")) {
            try PolicyBundle.open(garbled).verify(with: [try Self.verifying()])
        }
    }

    @Test func aSignatureNamesItsKeyByThumbprint() throws {
        let key = try Self.signing()
        let jwk = #"{"crv":"Ed25519","kty":"OKP","x":"\#(Base64URL.encode(Self.edKey.publicKey.rawRepresentation))"}"#
        #expect(key.kid == Base64URL.encode(Array(SHA256.hash(data: Array(jwk.utf8)))))
        #expect(try Self.verifying().thumbprint == key.kid)
        let named = try BundleSigningKey(pem: Self.edKey.pemRepresentation, kid: "2026-12")
        let opened = try PolicyBundle.open(try PolicyBundle.open(try Self.bundle()).signed(with: named))
        try opened.verify(with: [try Self.verifying()])  // a kid no key has: every key is tried
    }

    @Test func keysThatAreNotEd25519OrP256AreRefused() throws {
        let rsa = try _RSA.Signing.PrivateKey(keySize: .bits2048)
        #expect(throws: BundleError.badKey("the signing key is not an Ed25519 or P-256 private key in PEM")) {
            try BundleSigningKey(pem: rsa.pemRepresentation)
        }
        #expect(throws: BundleError.badKey("the public key is not an Ed25519 or P-256 public key in PEM")) {
            try BundlePublicKey(pem: rsa.publicKey.pemRepresentation)
        }
    }
}
