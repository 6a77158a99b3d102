/// Where the engine's inputs come from. The engine reads no file itself: a policy, an htpasswd
/// file it names, a request document are all read through a `FileAccess` the caller passes in
/// (the local disk, a git revision, a bundle, memory).
public protocol FileAccess: Sendable {
    /// The text of the file at `path`, or why it cannot be read.
    func read(_ path: String) throws(FileReadError) -> SourceFile
}
