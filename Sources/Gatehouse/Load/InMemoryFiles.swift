/// Files held in memory, by path: for tests, and for inputs that arrive whole.
public struct InMemoryFiles: FileAccess {
    private let files: [String: String]

    /// Serves `files`, text by path.
    public init(_ files: [String: String]) { self.files = files }

    public func read(_ path: String) throws(FileReadError) -> SourceFile {
        guard let text = files[path] else { throw FileReadError("\(path): no such file") }
        guard text.utf8.count <= YAMLReader.maxBytes else {
            throw FileReadError("\(path): the file is larger than \(YAMLReader.maxBytes / 1024 / 1024) MiB")
        }
        return SourceFile(name: path, text: text)
    }
}
