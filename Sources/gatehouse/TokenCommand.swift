import ArgumentParser
import Foundation
import Gatehouse
import GatehouseIdentity

/// `gatehouse token`: fetch an access token with the client-credentials grant.
struct TokenCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "token",
        abstract: "Fetch an access token from a provider with the client-credentials grant and print it.",
        discussion: """
            Example:
              gatehouse token policies/confluence-okta.yaml --provider okta --client-id 0oa1... \\
                --client-secret-env OKTA_CLIENT_SECRET --scope content:read

            The client id comes from --client-id or the provider's `client_id`; the secret from \
            --client-secret-env NAME, --client-secret-file PATH, or the provider's `client_secret` \
            reference. A secret is never a plain argument. Prints only the access token.
            """
    )

    @Argument(help: "The policy file.")
    var policy: String

    @Option(help: "The provider to ask.")
    var provider: String

    @Option(help: "The client id (default: the provider's `client_id`).")
    var clientID: String?

    @Option(help: "An environment variable holding the client secret.")
    var clientSecretEnv: String?

    @Option(help: "A file holding the client secret.")
    var clientSecretFile: String?

    @Option(help: "Scopes to ask for, space-separated.")
    var scope: String?

    func validate() throws {
        if clientSecretEnv != nil && clientSecretFile != nil {
            throw ValidationError("give either --client-secret-env or --client-secret-file, not both")
        }
    }

    func run() async throws {
        let compiled = try Loading.policy(policy)
        guard let provider = compiled.provider(provider) else {
            throw Loading.usage("the policy has no provider `\(self.provider)`")
        }
        guard let clientID = clientID ?? provider.clientID else {
            throw Loading.usage("no client id: give --client-id or set `client_id` on provider `\(provider.id)`")
        }
        let reference: SecretReference? =
            clientSecretEnv.map { .environment($0) } ?? clientSecretFile.map { .file($0) } ?? provider.clientSecret
        guard let reference else {
            throw Loading.usage("no client secret: give --client-secret-env or --client-secret-file")
        }
        switch await ClientCredentials.fetch(provider: provider, clientID: clientID, secret: reference, scope: scope) {
        case .success(let token): Standard.out(token + "\n")
        case .failure(let failure):
            Standard.error("error: \(failure.reason)\n")
            throw Exit.findings
        }
    }
}
