import Foundation

/// A static API token for bots. Only the SHA-256 of the token is stored.
public struct APIToken: Sendable {
    /// The token's id, used in decisions and logs instead of the token.
    public let id: String
    /// Lowercase hex SHA-256 of the token.
    public let sha256: String
    /// The username the token stands for.
    public let username: String
    /// Scopes it grants.
    public let scopes: [String]
    /// Groups it belongs to.
    public let groups: [String]
    /// The instant from which it no longer works, if any.
    public let expires: Date?
}

/// A user of the Basic scheme.
public struct BasicUser: Sendable {
    /// The username.
    public let username: String
    /// The user's bcrypt hash.
    public let bcrypt: String

    /// Creates a user.
    public init(username: String, bcrypt: String) {
        self.username = username
        self.bcrypt = bcrypt
    }
}
