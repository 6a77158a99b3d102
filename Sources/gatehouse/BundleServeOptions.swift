import ArgumentParser
import Foundation
import Gatehouse
import GatehouseBundle
import GatehouseIdentity
import GatehouseServer

/// `serve`'s options for a policy kept in force by a bundle server, and for a shadow rollout.
struct BundleServeOptions: ParsableArguments {
    @Option(help: "Poll this http(s) URL for the policy bundle instead of reading a policy file.")
    var bundle: String?

    @Option(
        name: .customLong("bundle-public-key"),
        help: "A PEM public key (Ed25519 or P-256) bundles must be signed with; repeat for several.")
    var bundlePublicKeys: [String] = []

    @Flag(
        help: "Take bundles without a signature (only without --bundle-public-key; said in /readyz and every log line)."
    )
    var allowUnsignedBundles = false

    @Option(help: "The shortest wait between polls (e.g. 10s, 500ms).")
    var pollMin = "10s"

    @Option(help: "The longest wait between polls; a new bundle is in force within it.")
    var pollMax = "30s"

    @Option(
        help: "Keep the last good bundle in this directory and start from it when the bundle server cannot give one.")
    var bundleCache: String?

    @Option(help: "Send the bearer token in this file to the bundle server.")
    var bundleTokenFile: String?

    @Option(help: "Send the bearer token in this environment variable to the bundle server.")
    var bundleTokenEnv: String?

    @Option(help: "Decide every request under this candidate policy too, never enforced; log and count disagreements.")
    var shadow: String?

    @Option(help: "Like --shadow, with the candidate polled from this bundle URL.")
    var shadowBundle: String?

    /// Whether any bundle server is polled.
    var polls: Bool { bundle != nil || shadowBundle != nil }

    func validate(policy: String?) throws {
        guard (policy == nil) != (bundle == nil) else {
            throw ValidationError("give a policy file or --bundle URL, not both and not neither")
        }
        guard shadow == nil || shadowBundle == nil else {
            throw ValidationError("give --shadow or --shadow-bundle, not both")
        }
        guard polls || (bundlePublicKeys.isEmpty && !allowUnsignedBundles && bundleCache == nil && !sendsToken)
        else {
            throw ValidationError(
                "--bundle-public-key, --allow-unsigned-bundles, --bundle-cache and --bundle-token-* need --bundle or --shadow-bundle"
            )
        }
        guard bundleTokenFile == nil || bundleTokenEnv == nil else {
            throw ValidationError("give --bundle-token-file or --bundle-token-env, not both")
        }
        if polls {
            guard !bundlePublicKeys.isEmpty != allowUnsignedBundles else {
                throw ValidationError(
                    bundlePublicKeys.isEmpty
                        ? "bundles must be signed: give --bundle-public-key PEM (or, knowingly, --allow-unsigned-bundles)"
                        : "--allow-unsigned-bundles and --bundle-public-key contradict each other; give one")
            }
            guard schedule != nil else {
                throw ValidationError("--poll-min and --poll-max take durations (e.g. 10s) with 0 < min <= max")
            }
        }
        for url in [bundle, shadowBundle].compactMap({ $0 }) {
            guard let parts = URLComponents(string: url), ["http", "https"].contains(parts.scheme?.lowercased()),
                let host = parts.host, !host.isEmpty, parts.user == nil, parts.password == nil
            else { throw ValidationError("`\(url)` is not an http:// or https:// URL without credentials") }
            if sendsToken, parts.scheme?.lowercased() == "http", !Self.isLoopback(host) {
                throw ValidationError("the bundle token would travel in clear text to `\(host)`; use https://")
            }
        }
    }

    private var sendsToken: Bool { bundleTokenFile != nil || bundleTokenEnv != nil }

    private static func isLoopback(_ host: String) -> Bool {
        host == "localhost" || host == "::1" || host == "[::1]" || host.hasPrefix("127.")
    }

    /// `--poll-min` and `--poll-max` as a schedule.
    var schedule: PollSchedule? {
        guard let low = CheckContext.parseDuration(pollMin), let high = CheckContext.parseDuration(pollMax) else {
            return nil
        }
        return PollSchedule(minimum: low, maximum: high)
    }

    /// The bearer token for the bundle server, from its file or variable; exits 64 when it is
    /// named but cannot be read or is empty. Never printed.
    func token() throws -> String? {
        let text: String?
        if let file = bundleTokenFile {
            guard let data = FileManager.default.contents(atPath: file) else {
                throw Loading.usage("the bundle token file `\(file)` cannot be read")
            }
            text = String(decoding: data, as: UTF8.self)
        } else if let name = bundleTokenEnv {
            text = ProcessInfo.processInfo.environment[name] ?? ""
        } else {
            return nil
        }
        let token = text?.trimmingCharacters(in: .whitespacesAndNewlines) ?? ""
        guard !token.isEmpty, token.allSatisfy({ $0.isASCII && !$0.isWhitespace }) else {
            throw Loading.usage("the bundle token is empty or not one printable word")
        }
        return token
    }

    /// The settings of the pollers.
    func settings() throws -> BundlePoller.Settings {
        BundlePoller.Settings(
            keys: try Loading.publicKeys(bundlePublicKeys), allowUnsigned: allowUnsignedBundles, schedule: schedule!,
            cache: bundleCache)
    }
}
