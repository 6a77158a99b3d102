import ArgumentParser
import Foundation
import Gatehouse
import GatehouseIdentity

/// `gatehouse token`: fetch an access token: a person's (authorization code, device code), a
/// client's (client credentials), or a new one for a refresh token.
struct TokenCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "token",
        abstract: "Fetch an access token from a provider and print it.",
        discussion: """
            Example:
              gatehouse token policies/confluence-okta.yaml --provider okta --client-id 0oa1... \\
                --client-secret-env OKTA_CLIENT_SECRET --scope content:read
              gatehouse token policies/jira-keycloak.yaml --provider keycloak --grant refresh-token \\
                --refresh-token-file ~/.config/gatehouse/refresh-token --output json

            --grant authorization-code (the default at a terminal, when the provider has an \
            authorization endpoint) opens the provider's sign-in page in a browser (--no-browser \
            prints its address) and takes the code back on a loopback redirect, with PKCE, state \
            and nonce; --grant device-code prints a code and the page where a person enters it, \
            and waits until they approve; --grant refresh-token exchanges the refresh token in \
            --refresh-token-file (never an argument) for a new access token; --grant \
            client-credentials (the default otherwise) asks for a token of the client itself. \
            The client id comes from --client-id or the provider's `client_id`; the secret from \
            --client-secret-env NAME, --client-secret-file PATH, or the provider's \
            `client_secret` reference, never a plain argument; a public client needs none but \
            for client-credentials. Prints the access token, or with --output json the whole \
            token response. A refusal is shown as the provider gave it.
            """
    )

    enum Grant: String, ExpressibleByArgument, CaseIterable {
        case clientCredentials = "client-credentials"
        case refreshToken = "refresh-token"
        case deviceCode = "device-code"
        case authorizationCode = "authorization-code"
    }

    enum Output: String, ExpressibleByArgument, CaseIterable {
        case token, json
    }

    @Argument(help: "The policy file.")
    var policy: String

    @Option(help: "The provider to ask.")
    var provider: String

    @Option(
        help:
            "The grant: authorization-code, device-code, refresh-token or client-credentials (default: authorization-code when a person is at the terminal and the provider has an authorization endpoint, else client-credentials)."
    )
    var grant: Grant?

    @Flag(help: "With authorization-code: print the sign-in page's address instead of opening a browser.")
    var noBrowser = false

    @Option(
        help:
            "With authorization-code: the loopback port of the redirect, for a provider that takes only the redirect URI registered (http://127.0.0.1:PORT/callback); default: one the system picks."
    )
    var redirectPort: UInt16?

    @Option(help: "The file holding the refresh token (with --grant refresh-token).")
    var refreshTokenFile: String?

    @Option(help: "The client id (default: the provider's `client_id`).")
    var clientID: String?

    @Option(help: "An environment variable holding the client secret.")
    var clientSecretEnv: String?

    @Option(help: "A file holding the client secret.")
    var clientSecretFile: String?

    @Option(help: "Scopes to ask for, space-separated.")
    var scope: String?

    @Option(help: "What to print: the access token, or the whole token response as JSON.")
    var output: Output = .token

    func validate() throws {
        if clientSecretEnv != nil && clientSecretFile != nil {
            throw ValidationError("give either --client-secret-env or --client-secret-file, not both")
        }
        if (grant == .refreshToken) != (refreshTokenFile != nil) {
            throw ValidationError("--grant refresh-token and --refresh-token-file go together")
        }
        if let grant, grant != .authorizationCode, redirectPort != nil || noBrowser {
            throw ValidationError("--redirect-port and --no-browser are for --grant authorization-code")
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
        let result: Result<TokenResponse, ProviderUnavailable>
        let chosen: Grant
        if let grant { chosen = grant } else { chosen = await Self.defaultGrant(for: provider) }
        switch chosen {
        case .clientCredentials:
            guard reference != nil else {
                throw Loading.usage("no client secret: give --client-secret-env or --client-secret-file")
            }
            result = await TokenEndpoint.request(
                .clientCredentials(scope: scope), provider: provider, clientID: clientID, secret: reference)
        case .refreshToken:
            let token = try Self.refreshToken(refreshTokenFile ?? "")
            result = await TokenEndpoint.request(
                .refreshToken(token, scope: scope), provider: provider, clientID: clientID, secret: reference)
        case .authorizationCode:
            result = await signIn(provider: provider, clientID: clientID, secret: reference)
        case .deviceCode:
            result = await TokenEndpoint.device(
                provider: provider, clientID: clientID, secret: reference, scope: scope
            ) { code in
                let complete = code.verificationURIComplete.map { "\n(or open \($0))" } ?? ""
                Standard.error(
                    "To sign in, open \(code.verificationURI) and enter the code \(code.userCode)\(complete)\n"
                        + "waiting for the approval...\n")
            }
        }
        switch result {
        case .success(let response):
            Standard.out(output == .json ? JSONText.encode(response.fields) : response.accessToken + "\n")
        case .failure(let failure):
            Standard.error("error: \(failure.reason)\n")
            throw Exit.findings
        }
    }

    /// A person's sign-in: the page opened in a browser (or its address printed), then the code
    /// the browser brings back exchanged.
    private func signIn(provider: Provider, clientID: String, secret: SecretReference?) async
        -> Result<TokenResponse, ProviderUnavailable>
    {
        switch await AuthorizationCode.begin(
            provider: provider, clientID: clientID, secret: secret, scope: scope, port: redirectPort ?? 0)
        {
        case .failure(let failure): return .failure(failure)
        case .success(let flow):
            Standard.error("Sign in at \(flow.url)\nwaiting for the browser to come back...\n")
            if !noBrowser { Self.openBrowser(flow.url) }
            return await flow.finish()
        }
    }

    /// authorization-code when a person is at the terminal (standard input and error are
    /// terminals) and the provider's discovery names an authorization endpoint, else
    /// client-credentials.
    static func defaultGrant(for provider: Provider) async -> Grant {
        guard isatty(0) == 1, isatty(2) == 1 else { return .clientCredentials }
        let endpoints = await ProviderDirectory(providers: [provider], fetcher: NetworkFetcher())
            .endpoints(for: provider, needing: \ProviderEndpoints.authorization)
        return (try? endpoints.get().authorization) != nil ? .authorizationCode : .clientCredentials
    }

    /// Opens `url` with `xdg-open`, when there is one; the address is printed either way.
    static func openBrowser(_ url: String) {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["xdg-open", url]
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        try? process.run()
    }

    /// The refresh token in the file at `path`, without the whitespace around it.
    static func refreshToken(_ path: String) throws -> String {
        guard let data = FileManager.default.contents(atPath: path),
            let token = String(data: data, encoding: .utf8)?.trimmingCharacters(in: .whitespacesAndNewlines),
            !token.isEmpty
        else {
            Standard.error("error: the refresh token file `\(path)` cannot be read or is empty\n")
            throw Exit.unreadable
        }
        return token
    }
}
