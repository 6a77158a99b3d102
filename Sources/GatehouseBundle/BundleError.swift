/// Why a bundle is refused: unsafe as an archive, its manifest wrong, its files not the manifest's,
/// its signature missing or wrong, or built before the one in force. The description is one line
/// for logs, `/readyz` and the command line; ``reason`` names the class for metrics.
public enum BundleError: Error, Sendable, Equatable, CustomStringConvertible {
    case unsafeArchive(String)
    case badManifest(String)
    case filesMismatch(String)
    case unsigned
    case badSignature(String)
    /// A key given to sign or verify that cannot be used.
    case badKey(String)
    case replayed(String)
    case policyInvalid(String)

    /// The class of refusal, for `gatehouse_bundle_refusals_total{reason}`.
    public var reason: String {
        switch self {
        case .unsafeArchive: "unsafe-archive"
        case .badManifest: "bad-manifest"
        case .filesMismatch: "files-mismatch"
        case .unsigned: "unsigned"
        case .badSignature: "bad-signature"
        case .badKey: "bad-key"
        case .replayed: "older-build"
        case .policyInvalid: "policy-invalid"
        }
    }

    public var description: String {
        switch self {
        case .unsafeArchive(let why): "the bundle is not a safe archive: \(why)"
        case .badManifest(let why): "the bundle's manifest is wrong: \(why)"
        case .filesMismatch(let why): "the bundle's files are not its manifest's: \(why)"
        case .unsigned: "the bundle is not signed"
        case .badSignature(let why): "the bundle's signature does not verify: \(why)"
        case .badKey(let why): why
        case .replayed(let why): "the bundle was built before the one in force: \(why)"
        case .policyInvalid(let why): "the bundle's policy cannot be used: \(why)"
        }
    }
}
