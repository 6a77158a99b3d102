/// Where the engine's inputs come from. The engine reads no file itself: a policy, an htpasswd
/// file it names, a request document are all read through a `FileAccess` the caller passes in
/// (the local disk, a git revision, a bundle, memory).
public protocol FileAccess: Sendable {
    /// The text of the file at `path`, or why it cannot be read.
    func read(_ path: String) throws(FileReadError) -> SourceFile
}

/// Why a file could not be read.
public struct FileReadError: Error, Sendable, CustomStringConvertible {
    /// One-line description, naming the file.
    public let description: String

    /// Creates the error.
    public init(_ description: String) { self.description = description }
}

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
