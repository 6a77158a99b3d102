import Foundation
import Gatehouse
import Synchronization

/// Where a provider's signing keys come from: a saved file, or the provider's JWKS endpoint.
public protocol SigningKeySource: Sendable {
    /// The provider's keys. With `refresh`, the source may fetch them again (a token named an
    /// unknown `kid`); it decides how often that really happens.
    func keys(for provider: Provider, refresh: Bool) async -> Result<SigningKeySet, ProviderUnavailable>
}

/// Why a provider could not be asked.
public struct ProviderUnavailable: Error, Sendable {
    /// One line, naming no secret.
    public let reason: String

    /// Creates the failure.
    public init(reason: String) { self.reason = reason }
}
