/// The text of one input file and its name, kept for rendering diagnostics with the source line.
public struct SourceFile: Sendable {
    /// The file's name as the user gave it (a path, or `-` for standard input).
    public let name: String
    /// The whole text.
    public let text: String

    /// Creates a source file from its name and text.
    public init(name: String, text: String) {
        self.name = name
        self.text = text
    }

    /// The text of 1-based line `number`, without its line break, or nil past the end.
    public func line(_ number: Int) -> Substring? {
        guard number >= 1 else { return nil }
        var current = 1
        var start = text.startIndex
        while current < number {
            guard let newline = text[start...].firstIndex(where: \.isNewline) else { return nil }
            start = text.index(after: newline)
            current += 1
        }
        let end = text[start...].firstIndex(where: \.isNewline) ?? text.endIndex
        return text[start..<end]
    }

    /// A location in this file.
    public func location(line: Int, column: Int) -> SourceLocation {
        SourceLocation(file: name, line: line, column: column)
    }
}
