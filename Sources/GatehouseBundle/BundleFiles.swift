import Gatehouse

/// A bundle's files as the engine's ``FileAccess``: the policy and the files it names, each under
/// `PREFIX` (`BUNDLE!/`) and its name in the bundle. Nothing outside the bundle can be read.
public struct BundleFiles: FileAccess {
    let prefix: String
    let archive: TarArchive
    let manifest: BundleManifest

    public func read(_ path: String) throws(FileReadError) -> SourceFile {
        let name = path.hasPrefix(prefix) ? String(path.dropFirst(prefix.count)) : path
        guard path.hasPrefix(prefix), manifest.files[name] != nil, let member = archive.member(name) else {
            throw FileReadError("\(path): not in the bundle")
        }
        guard let text = String(validating: member.bytes, as: UTF8.self) else {
            throw FileReadError("\(path): the file is not UTF-8 text")
        }
        return SourceFile(name: path, text: text)
    }
}
