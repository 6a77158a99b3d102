extension String {
    /// Whether the two are the same bytes. Identity values (usernames, groups, scopes, claims,
    /// `iss`, `aud`) are compared this way, never with Swift's `==`, which compares by Unicode
    /// canonical equivalence (there a Kelvin sign equals `K` and a decomposed `é` the composed one).
    public func isExactly(_ other: String) -> Bool { utf8.elementsEqual(other.utf8) }
}

extension Sequence where Element == String {
    /// Whether one of the elements is exactly `text`, byte for byte.
    public func containsExactly(_ text: String) -> Bool { contains { $0.isExactly(text) } }
}
