/// Why a file could not be read.
public struct FileReadError: Error, Sendable, CustomStringConvertible {
    /// One-line description, naming the file.
    public let description: String

    /// Creates the error.
    public init(_ description: String) { self.description = description }
}
