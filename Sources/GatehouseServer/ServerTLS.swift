import Foundation
import NIOCertificateReloading
import NIOSSL
import Synchronization

/// `serve --tls-cert --tls-key [--tls-client-ca]`: the TLS context each new connection is served
/// with. With a client CA, a connection must present a certificate that CA signed, so only the
/// gateways can ask for decisions. ``reload()`` (SIGHUP) reads the files again; a set that cannot
/// be used keeps the running context, and connections already open keep theirs.
///
/// Hummingbird's `TLSChannel` holds one context for the server's life; a reload needs every new
/// connection to take the current one, so ``GatehouseHTTP1Channel`` adds NIOSSL's handler itself.
/// The gRPC listener's transport takes the current certificate and key from it as a
/// `CertificateReloader`; its client CA is the one read at start.
public final class ServerTLS: CertificateReloader {
    /// The files a context is read from.
    public struct Files: Sendable, Equatable {
        public var certificate: String
        public var key: String
        public var clientCA: String?

        public init(certificate: String, key: String, clientCA: String? = nil) {
            self.certificate = certificate
            self.key = key
            self.clientCA = clientCA
        }
    }

    /// Why a set of files cannot be used: names the file, never what a key holds.
    public struct Failure: Error, CustomStringConvertible {
        public let description: String
    }

    public let files: Files
    private let current: Mutex<Loaded>
    let metrics: ServerMetrics

    /// What one reading of the files gives: the HTTP listener's context, and the certificate
    /// chain and key for the gRPC listener's handshakes.
    struct Loaded: Sendable {
        let context: NIOSSLContext
        let chain: [NIOSSLCertificate]
        let key: NIOSSLPrivateKey
        /// When the certificate expires (seconds since 1970).
        var notAfter: Int { chain[0].notValidAfter }
    }

    /// Serves with the context `files` make, or throws why it cannot.
    public init(files: Files, metrics: ServerMetrics) throws(Failure) {
        self.files = files
        self.metrics = metrics
        let loaded = try Self.load(files)
        current = Mutex(loaded)
        metrics.certificateLoaded(notAfter: loaded.notAfter)
    }

    /// The context a connection accepted now is served with.
    var context: NIOSSLContext { current.withLock { $0.context } }

    /// The certificate and key a gRPC connection accepted now is served with.
    public var sslContextConfigurationOverride: NIOSSLContextConfigurationOverride {
        let loaded = current.withLock { $0 }
        var override = NIOSSLContextConfigurationOverride()
        override.certificateChain = loaded.chain.map { .certificate($0) }
        override.privateKey = .privateKey(loaded.key)
        return override
    }

    /// Reads the files again: the new context serves every connection accepted from now on, or
    /// the running one stays and the failure is returned. Counted either way.
    @discardableResult
    public func reload() -> Failure? {
        do {
            let loaded = try Self.load(files)
            current.withLock { $0 = loaded }
            metrics.certificateLoaded(notAfter: loaded.notAfter)
            metrics.tlsReloaded(succeeded: true)
            return nil
        } catch {
            metrics.tlsReloaded(succeeded: false)
            return error
        }
    }

    /// A server context from `files` (TLS 1.2 or later, HTTP/1.1), with the chain and key it holds.
    static func load(_ files: Files) throws(Failure) -> Loaded {
        let chain = try certificates(files.certificate, what: "TLS certificate")
        let key: NIOSSLPrivateKey
        do {
            key = try NIOSSLPrivateKey(bytes: try read(files.key, what: "TLS key"), format: .pem)
        } catch let failure as Failure {
            throw failure
        } catch {
            throw Failure(description: "the TLS key `\(files.key)` holds no PEM private key NIOSSL can use")
        }
        var configuration = TLSConfiguration.makeServerConfiguration(
            certificateChain: chain.map { .certificate($0) }, privateKey: .privateKey(key))
        configuration.minimumTLSVersion = .tlsv12
        configuration.applicationProtocols = ["http/1.1"]
        if let clientCA = files.clientCA {
            configuration.trustRoots = .certificates(try certificates(clientCA, what: "client CA"))
            configuration.certificateVerification = .noHostnameVerification
            configuration.sendCANameList = true
        }
        do {
            return Loaded(context: try NIOSSLContext(configuration: configuration), chain: chain, key: key)
        } catch {
            throw Failure(
                description: "the TLS key `\(files.key)` does not belong to the certificate `\(files.certificate)`,"
                    + " or one of them cannot be used (\(error))")
        }
    }

    /// The PEM certificates in the file at `path`, at least one.
    private static func certificates(_ path: String, what: String) throws(Failure) -> [NIOSSLCertificate] {
        let bytes = try read(path, what: what)
        guard let certificates = try? NIOSSLCertificate.fromPEMBytes(bytes), !certificates.isEmpty else {
            throw Failure(description: "the \(what) `\(path)` holds no PEM certificate")
        }
        return certificates
    }

    private static func read(_ path: String, what: String) throws(Failure) -> [UInt8] {
        guard let data = FileManager.default.contents(atPath: path) else {
            throw Failure(description: "the \(what) `\(path)` cannot be read")
        }
        return Array(data)
    }
}
