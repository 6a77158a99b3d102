/// The entries of one YAML mapping, read by key. Unknown keys were reported when it was made.
package struct Fields {
    /// Where the mapping starts.
    package let location: SourceLocation
    private let entries: [String: YAMLEntry]

    init(entries: [YAMLEntry], location: SourceLocation) {
        self.location = location
        self.entries = Dictionary(entries.map { ($0.key.value, $0) }, uniquingKeysWith: { first, _ in first })
    }

    /// The value under `key`, if present.
    package subscript(key: String) -> YAMLNode? { entries[key]?.value }

    /// The key's own location, if present.
    package func keyLocation(_ key: String) -> SourceLocation? { entries[key]?.key.location }

    /// Whether `key` is present.
    package func has(_ key: String) -> Bool { entries[key] != nil }
}
