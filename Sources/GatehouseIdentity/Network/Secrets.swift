import Foundation
import Gatehouse

/// Reads secrets the policy refers to. The value never appears in an error.
enum Secrets {
    static func read(_ reference: SecretReference) throws(ProviderUnavailable) -> String {
        switch reference {
        case .environment(let name):
            guard let value = ProcessInfo.processInfo.environment[name], !value.isEmpty else {
                throw ProviderUnavailable(
                    reason: "the environment variable `\(name)` holding the client secret is not set")
            }
            return value
        case .file(let path):
            guard let data = FileManager.default.contents(atPath: path),
                let text = String(data: data, encoding: .utf8)?.trimmingCharacters(in: .whitespacesAndNewlines),
                !text.isEmpty
            else {
                throw ProviderUnavailable(reason: "the client secret file `\(path)` cannot be read")
            }
            return text
        }
    }

    /// `Authorization: Basic` for client authentication (RFC 6749 §2.3.1: both parts form-encoded).
    static func basicAuthorization(clientID: String, secret: String) -> String {
        let pair = NetworkFetcher.formEncode(clientID) + ":" + NetworkFetcher.formEncode(secret)
        return "Basic " + Data(pair.utf8).base64EncodedString()
    }
}
