import Crypto
import Foundation
import Gatehouse

/// A policy bundle, read and checked: a ustar archive (``TarArchive``) of the policy, the files it
/// names, a `.manifest` with each file's SHA-256 and the revision, and `.signatures.json` with
/// detached signatures over the manifest. Opening a bundle checks the archive and that the files
/// are exactly the manifest's; ``verify(with:)`` checks a signature.
public struct PolicyBundle: Sendable {
    /// The manifest.
    public let manifest: BundleManifest
    /// The detached signatures (compact JWS with an empty payload), from `.signatures.json`.
    public let signatures: [String]
    /// The bundle's bytes, as read.
    public let bytes: [UInt8]
    let archive: TarArchive
    let manifestBytes: [UInt8]

    /// The signatures' name inside the bundle.
    public static let signaturesName = ".signatures.json"

    /// Reads `bytes`, or says why they are not a bundle whose files are its manifest's.
    public static func open(_ bytes: [UInt8]) throws(BundleError) -> PolicyBundle {
        let archive = try TarArchive.read(bytes)
        guard let manifestMember = archive.member(BundleManifest.name) else {
            throw .badManifest("the bundle has no `\(BundleManifest.name)`")
        }
        let manifest = try BundleManifest.parse(manifestMember.bytes)
        let files = archive.members.filter { $0.name != BundleManifest.name && $0.name != signaturesName }
        for file in files {
            guard let expected = manifest.files[file.name] else {
                throw .filesMismatch("`\(file.name)` is not in the manifest")
            }
            guard PolicyRevision.hex(SHA256.hash(data: file.bytes)) == expected else {
                throw .filesMismatch("the SHA-256 of `\(file.name)` is not the manifest's")
            }
        }
        for name in manifest.files.keys.sorted() where !files.contains(where: { $0.name == name }) {
            throw .filesMismatch("`\(name)` is in the manifest but not in the bundle")
        }
        return PolicyBundle(
            manifest: manifest, signatures: try signatures(in: archive), bytes: bytes, archive: archive,
            manifestBytes: manifestMember.bytes)
    }

    private static func signatures(in archive: TarArchive) throws(BundleError) -> [String] {
        guard let member = archive.member(signaturesName) else { return [] }
        struct Signatures: Decodable { let signatures: [String] }
        guard let decoded = try? JSONDecoder().decode(Signatures.self, from: Data(member.bytes)) else {
            throw .badSignature("`\(signaturesName)` is not a list of signatures")
        }
        return decoded.signatures
    }

    /// Whether one of the signatures verifies the manifest under one of `keys`; throws why not.
    /// A signature names its key by `kid` (the key's JWK thumbprint, unless it was signed with
    /// another); one whose `kid` no key has is tried against every key.
    public func verify(with keys: [BundlePublicKey]) throws(BundleError) {
        guard !signatures.isEmpty else { throw .unsigned }
        var problem = "no signature verifies with the given keys"
        for signature in signatures {
            let parts = signature.split(separator: ".", omittingEmptySubsequences: false)
            guard parts.count == 3, parts[1].isEmpty, let headerBytes = Base64URL.decode(parts[0]),
                let raw = Base64URL.decode(parts[2]),
                let header = try? JSONSerialization.jsonObject(with: Data(headerBytes)) as? [String: Any],
                let algorithm = header["alg"] as? String
            else {
                problem = "a signature is not a detached compact JWS"
                continue
            }
            let kid = header["kid"] as? String
            let named = keys.filter { $0.thumbprint == kid }
            let input = Array((String(parts[0]) + "." + Base64URL.encode(manifestBytes)).utf8)
            if (named.isEmpty ? keys : named).contains(where: { $0.verifies(raw, of: input, algorithm: algorithm) }) {
                return
            }
        }
        throw .badSignature(problem)
    }

    /// The same bundle with `signature` as its only signature.
    public func signed(with key: BundleSigningKey) throws(BundleError) -> [UInt8] {
        let signature = try key.sign(manifestBytes)
        let json = Array(#"{"signatures":["\#(signature)"]}"#.utf8)
        let members =
            archive.members.filter { $0.name != Self.signaturesName }
            + [TarArchive.Member(name: Self.signaturesName, bytes: json)]
        return TarArchive(members: members).bytes(modified: Int(manifest.builtAtDate?.timeIntervalSince1970 ?? 0))
    }

    /// The bundle's files as the engine reads a policy's, named `PATH!/NAME` (`path` being where
    /// the bundle came from), so diagnostics say which bundle and which file.
    public func files(at path: String) -> BundleFiles {
        BundleFiles(prefix: path + "!/", archive: archive, manifest: manifest)
    }

    /// The policy's name as ``files(at:)`` serves it.
    public func policyPath(at path: String) -> String { path + "!/" + manifest.policy }
}
