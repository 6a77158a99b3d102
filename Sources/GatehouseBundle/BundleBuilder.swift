import Crypto
import Foundation
import Gatehouse

/// Packs a policy that loads without errors, and every file it names, into a bundle: the files
/// under their names relative to the policy's folder, and a manifest with each one's SHA-256, the
/// revision and the build time. The bundle is unsigned until ``PolicyBundle/signed(with:)``.
public enum BundleBuilder {
    /// The bundle of `loaded`, named `revision` (by default its content digest), built at `builtAt`.
    public static func build(_ loaded: LoadedPolicy, revision: String?, builtAt: Date) throws(BundleError) -> [UInt8] {
        if case .failure(let unusable) = loaded.usable() { throw .policyInvalid(unusable.summary) }
        guard let policy = loaded.sources.first else { throw .policyInvalid("the policy cannot be read") }
        let folder = policy.name.split(separator: "/", omittingEmptySubsequences: false).dropLast()
            .joined(separator: "/")
        var members: [TarArchive.Member] = []
        var hashes: [String: String] = [:]
        for source in loaded.sources {
            var name = source.name
            if !folder.isEmpty {
                guard name.hasPrefix(folder + "/") else {
                    throw .unsafeArchive("`\(source.name)` is outside the policy's folder `\(folder)`")
                }
                name = String(name.dropFirst(folder.count + 1))
            }
            if let problem = TarArchive.pathProblem(name) { throw .unsafeArchive("`\(name)` \(problem)") }
            guard name.utf8.count <= 255 else { throw .unsafeArchive("`\(name)` is longer than 255 bytes") }
            guard hashes[name] == nil else { continue }
            let bytes = Array(source.text.utf8)
            hashes[name] = PolicyRevision.hex(SHA256.hash(data: bytes))
            members.append(TarArchive.Member(name: name, bytes: bytes))
        }
        let manifest = BundleManifest(
            version: 1, revision: revision ?? PolicyRevision.of(loaded.sources),
            builtAt: RFC3339.format(Date(timeIntervalSince1970: builtAt.timeIntervalSince1970.rounded(.down))),
            policy: members[0].name, files: hashes)
        _ = try BundleManifest.parse(manifest.encoded)
        return TarArchive(members: [TarArchive.Member(name: BundleManifest.name, bytes: manifest.encoded)] + members)
            .bytes(modified: Int(builtAt.timeIntervalSince1970))
    }
}
