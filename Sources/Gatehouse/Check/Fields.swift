/// The entries of one YAML mapping, read by key. Unknown keys were reported when it was made.
package struct Fields {
    /// Where the mapping starts.
    package let location: SourceLocation
    /// In file order, searched from the start: a policy's mappings have a handful of keys, where a
    /// scan costs less than building a dictionary for each (a tenth of checking 10,000 rules).
    private let entries: [YAMLEntry]

    init(entries: [YAMLEntry], location: SourceLocation) {
        self.location = location
        self.entries = entries
    }

    /// The first entry under `key`.
    private func entry(_ key: String) -> YAMLEntry? { entries.first { $0.key.value == key } }

    /// The value under `key`, if present.
    package subscript(key: String) -> YAMLNode? { entry(key)?.value }

    /// The key's own location, if present.
    package func keyLocation(_ key: String) -> SourceLocation? { entry(key)?.key.location }

    /// Whether `key` is present.
    package func has(_ key: String) -> Bool { entry(key) != nil }
}
