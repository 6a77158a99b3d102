/// Which claims of a verified token become the caller's username, groups and scopes.
public struct ClaimMapping: Sendable, Hashable {
    /// The claim that becomes the username (default `sub`).
    public var username = ClaimPath("sub")
    /// The claim holding group names (default `groups`).
    public var groups = ClaimPath("groups")
    /// The claim holding scopes; nil means `scope` (space-separated), then `scp` (array).
    public var scopes: ClaimPath?

    /// The default mapping.
    public init() {}
}

/// A claim name, or a dotted path into nested claims (`realm_access.roles`).
///
/// A claim whose own name contains dots (`https://example.com/groups`) is found too: the whole
/// name is tried as one key before the path is split.
public struct ClaimPath: Sendable, Hashable, CustomStringConvertible {
    /// The path as written.
    public let text: String
    /// The path's parts.
    public let parts: [String]

    /// Creates a path from its written form.
    public init(_ text: String) {
        self.text = text
        self.parts = text.split(separator: ".", omittingEmptySubsequences: false).map(String.init)
    }

    public var description: String { text }

    /// Whether the written form is usable: non-empty parts.
    var isValid: Bool { !text.isEmpty && !parts.contains(where: \.isEmpty) }
}
