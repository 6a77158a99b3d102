import Foundation
import Gatehouse

/// A bundle's `.manifest`: which file is the policy, the SHA-256 of every file, the revision and
/// when it was built. The signature covers exactly these bytes; the build time is what keeps an
/// older bundle from being served again once a newer one is in force.
public struct BundleManifest: Sendable, Equatable, Codable {
    /// The manifest format (1).
    public let version: Int
    /// What the bundle's policy is: a git commit, or `sha256:` and the first 12 hex digits of the
    /// files' digest (``PolicyRevision``).
    public let revision: String
    /// When the bundle was built (RFC 3339, seconds).
    public let builtAt: String
    /// The policy's name inside the bundle.
    public let policy: String
    /// The hex SHA-256 of every file, by name.
    public let files: [String: String]

    enum CodingKeys: String, CodingKey {
        case version, revision, policy, files
        case builtAt = "built_at"
    }

    /// The manifest's name inside the bundle.
    public static let name = ".manifest"

    /// The build time as an instant.
    public var builtAtDate: Date? { RFC3339.parse(builtAt) }

    /// The bytes the signature covers: sorted keys, no spaces.
    var encoded: [UInt8] {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return Array((try? encoder.encode(self)) ?? Data())
    }

    /// Reads a manifest, or says why it cannot be one.
    static func parse(_ bytes: [UInt8]) throws(BundleError) -> BundleManifest {
        let manifest: BundleManifest
        do {
            manifest = try JSONDecoder().decode(BundleManifest.self, from: Data(bytes))
        } catch {
            throw .badManifest("it is not the JSON of a manifest")
        }
        guard manifest.version == 1 else { throw .badManifest("version \(manifest.version) is not supported") }
        guard manifest.builtAtDate != nil else { throw .badManifest("`built_at` is not an RFC 3339 instant") }
        guard !manifest.revision.isEmpty, manifest.revision.utf8.count <= 128,
            manifest.revision.utf8.allSatisfy({ $0 > 0x20 && $0 < 0x7F })
        else { throw .badManifest("`revision` is not a short printable name") }
        guard manifest.files[manifest.policy] != nil else {
            throw .badManifest("the policy `\(manifest.policy)` is not among its files")
        }
        return manifest
    }
}
