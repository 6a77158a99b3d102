/// The files a policy names, as they are read.
final class ReferencedFiles {
    private(set) var files: [SourceFile] = []

    func add(_ file: SourceFile) { files.append(file) }
}
