/// What verification reports as it works, for a server's metrics: cache hits and key-set fetches.
/// The default does nothing.
public struct VerificationEvents: Sendable {
    /// A verification answered from a cache: `token` (verified JWTs) or `answer` (userinfo,
    /// introspection).
    public var cacheHit: @Sendable (_ cache: String) -> Void
    /// A provider's key set was fetched; `succeeded` is false when it could not be used.
    public var keysFetched: @Sendable (_ provider: String, _ succeeded: Bool) -> Void

    /// Creates the events; unset ones do nothing.
    public init(
        cacheHit: @escaping @Sendable (String) -> Void = { _ in },
        keysFetched: @escaping @Sendable (String, Bool) -> Void = { _, _ in }
    ) {
        self.cacheHit = cacheHit
        self.keysFetched = keysFetched
    }

    /// Events that go nowhere.
    public static let none = VerificationEvents()
}
