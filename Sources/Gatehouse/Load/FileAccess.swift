import Foundation

extension SourceFile {
    /// Why a file could not be read.
    public struct ReadError: Error, Sendable, CustomStringConvertible {
        /// One-line description, naming the file.
        public let description: String
    }

    /// Reads `path` (or standard input for `-`), refusing files over `limit` bytes and text that is
    /// not UTF-8.
    public static func read(_ path: String, limit: Int = YAMLReader.maxBytes) throws(ReadError) -> SourceFile {
        let data: Data
        if path == "-" {
            data = FileHandle.standardInput.readData(ofLength: limit + 1)
        } else {
            guard let attributes = try? FileManager.default.attributesOfItem(atPath: path) else {
                throw ReadError(description: "\(path): no such file")
            }
            if let size = attributes[.size] as? Int, size > limit {
                throw ReadError(description: "\(path): the file is larger than \(limit / 1024 / 1024) MiB")
            }
            guard attributes[.type] as? FileAttributeType != .typeDirectory,
                let contents = FileManager.default.contents(atPath: path)
            else { throw ReadError(description: "\(path): cannot be read") }
            data = contents
        }
        guard data.count <= limit else {
            throw ReadError(description: "\(path): the input is larger than \(limit / 1024 / 1024) MiB")
        }
        guard let text = String(data: data, encoding: .utf8) else {
            throw ReadError(description: "\(path): the file is not UTF-8 text")
        }
        return SourceFile(name: path, text: text)
    }
}
