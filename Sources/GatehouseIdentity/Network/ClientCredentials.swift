import Foundation
import Gatehouse

/// The OAuth 2.0 client-credentials grant (RFC 6749 §4.4), with client authentication by Basic.
public enum ClientCredentials {
    /// An access token for `clientID` from `provider`'s token endpoint.
    public static func fetch(
        provider: Provider, clientID: String, secret: SecretReference, scope: String?,
        fetcher: any HTTPFetching = NetworkFetcher()
    ) async -> Result<String, ProviderUnavailable> {
        let directory = ProviderDirectory(providers: [provider], fetcher: fetcher)
        do {
            let endpoints = try await directory.endpoints(for: provider).get()
            guard let url = endpoints.token else { throw ProviderUnavailable(reason: "no token endpoint is known") }
            var form = [("grant_type", "client_credentials")]
            if let scope { form.append(("scope", scope)) }
            let authorization = Secrets.basicAuthorization(clientID: clientID, secret: try Secrets.read(secret))
            let answer = try await fetcher.post(
                url, form: form, headers: [("Authorization", authorization), ("Accept", "application/json")],
                timeout: .seconds(10))
            let body = try? StrictJSON.object(answer.body)
            guard answer.status == 200, let token = body?["access_token"]?.stringValue else {
                let error = body?["error"]?.stringValue.map { " (`\(StrictJSON.printable($0))`)" } ?? ""
                throw ProviderUnavailable(reason: "the token endpoint answered \(answer.status)\(error)")
            }
            return .success(token)
        } catch let failure as ProviderUnavailable {
            return .failure(failure)
        } catch {
            return .failure(
                ProviderUnavailable(reason: "the token endpoint cannot be reached (\(ProviderState.describe(error)))"))
        }
    }
}
