import Crypto
import Gatehouse

/// The revision of a policy that no git commit names: `sha256:` and the first 12 hex digits of a
/// digest over its files (their names relative to the policy's folder, and their bytes), so the
/// same files give the same revision whether they are served from a folder or from a bundle.
public enum PolicyRevision {
    /// The revision of `sources` (the policy first, then the files it names).
    public static func of(_ sources: [SourceFile]) -> String {
        guard let policy = sources.first else { return "sha256:" }
        let folder = policy.name.split(separator: "/", omittingEmptySubsequences: false).dropLast().joined(
            separator: "/")
        var hasher = SHA256()
        for source in sources {
            let name =
                folder.isEmpty || !source.name.hasPrefix(folder + "/")
                ? source.name : String(source.name.dropFirst(folder.count + 1))
            hasher.update(data: Array(name.utf8) + [0])
            hasher.update(data: Array(source.text.utf8) + [0])
        }
        return "sha256:" + String(hex(hasher.finalize()).prefix(12))
    }

    /// Lowercase hex of `bytes`.
    static func hex(_ bytes: some Sequence<UInt8>) -> String {
        let digits = Array("0123456789abcdef".utf8)
        return String(decoding: bytes.flatMap { [digits[Int($0 >> 4)], digits[Int($0 & 0x0F)]] }, as: UTF8.self)
    }
}
