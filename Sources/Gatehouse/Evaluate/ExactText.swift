import Foundation

extension String {
    /// Whether the two are the same bytes. Identity values (usernames, groups, scopes, claims,
    /// `iss`, `aud`) are compared this way, never with Swift's `==`, which compares by Unicode
    /// canonical equivalence (there a Kelvin sign equals `K` and a decomposed `é` the composed one).
    public func isExactly(_ other: String) -> Bool {
        // Lengths first (constant time for native strings), then the two buffers; comparing the
        // UTF-8 views element by element cost more than the rest of a claims check.
        guard utf8.count == other.utf8.count else { return false }
        var this = self
        var that = other
        return this.withUTF8 { mine in that.withUTF8 { theirs in mine.hasSameBytes(as: theirs) } }
    }
}

extension UnsafeBufferPointer<UInt8> {
    /// Whether the two hold the same bytes (`memcmp`; `elementsEqual` walks them one by one
    /// through iterators, several times the cost for a path segment).
    func hasSameBytes(as other: UnsafeBufferPointer<UInt8>) -> Bool {
        guard count == other.count else { return false }
        guard let mine = baseAddress, let theirs = other.baseAddress else { return true }
        return memcmp(mine, theirs, count) == 0
    }
}

extension Sequence where Element == String {
    /// Whether one of the elements is exactly `text`, byte for byte.
    public func containsExactly(_ text: String) -> Bool { contains { $0.isExactly(text) } }
}
