import Foundation
import Gatehouse

/// The local disk as the engine's ``FileAccess``: a policy, the files it names, request
/// documents. `-` is standard input. Files over 4 MiB and text that is not UTF-8 are refused.
public struct LocalFiles: FileAccess {
    /// The largest file read, in bytes.
    let limit: Int

    /// Reads files of at most `limit` bytes.
    public init(limit: Int = YAMLReader.maxBytes) { self.limit = limit }

    public func read(_ path: String) throws(FileReadError) -> SourceFile {
        let data: Data
        if path == "-" {
            data = FileHandle.standardInput.readData(ofLength: limit + 1)
        } else {
            guard let attributes = try? FileManager.default.attributesOfItem(atPath: path) else {
                throw FileReadError("\(path): no such file")
            }
            if let size = attributes[.size] as? Int, size > limit {
                throw FileReadError("\(path): the file is larger than \(limit / 1024 / 1024) MiB")
            }
            guard attributes[.type] as? FileAttributeType != .typeDirectory,
                let contents = FileManager.default.contents(atPath: path)
            else { throw FileReadError("\(path): cannot be read") }
            data = contents
        }
        guard data.count <= limit else {
            throw FileReadError("\(path): the input is larger than \(limit / 1024 / 1024) MiB")
        }
        guard let text = String(data: data, encoding: .utf8) else {
            throw FileReadError("\(path): the file is not UTF-8 text")
        }
        return SourceFile(name: path, text: text)
    }
}
