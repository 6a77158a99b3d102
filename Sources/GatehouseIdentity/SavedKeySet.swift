import Foundation
import Gatehouse
import Synchronization

/// Keys read once from a saved JWKS file and used for every provider: for `gatehouse evaluate
/// --jwks`, offline verification against a key set saved from the provider.
public final class SavedKeySet: SigningKeySource {
    private let bytes: [UInt8]
    /// The set as loaded for each provider (algorithms differ per provider).
    private let loaded = Mutex<[String: SigningKeySet]>([:])

    /// Reads the key set at `path`; it is parsed for each provider with that provider's algorithms.
    public init(path: String) throws(ProviderUnavailable) {
        guard let data = FileManager.default.contents(atPath: path) else {
            throw ProviderUnavailable(reason: "\(path): cannot be read")
        }
        bytes = Array(data)
    }

    /// Uses `json` as the key set.
    public init(json: String) { bytes = Array(json.utf8) }

    public func keys(for provider: Provider, refresh: Bool) async -> Result<SigningKeySet, ProviderUnavailable> {
        if let keys = loaded.withLock({ $0[provider.id] }) { return .success(keys) }
        do {
            let keys = try await SigningKeySet.load(jwks: bytes, allowed: provider.algorithms)
            loaded.withLock { $0[provider.id] = keys }
            return .success(keys)
        } catch {
            return .failure(ProviderUnavailable(reason: error.reason))
        }
    }
}
