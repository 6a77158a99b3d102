import ArgumentParser
import Foundation
import Gatehouse
import GatehouseBundle
import GatehouseIdentity

/// Reading the commands' inputs, with the exit codes of docs/cli.md: policies through the engine's
/// one loader (``PolicyLoader``), everything from the local disk or standard input.
enum Loading {
    /// The local disk, and `-` for standard input.
    static let files = LocalFiles()

    /// Prints a usage error found after parsing and returns the exit to throw (64).
    static func usage(_ message: String) -> ExitCode {
        Standard.error("error: \(message)\n")
        return Exit.usage
    }

    /// Reads a file, or exits 65 with the reason.
    static func source(_ path: String) throws -> SourceFile {
        do {
            return try files.read(path)
        } catch {
            Standard.error("error: \(error)\n")
            throw Exit.unreadable
        }
    }

    /// Loads the policy at `path` (from `files`); a policy that cannot be used exits 65 with what
    /// the loader says of it.
    static func load(_ path: String, files: any FileAccess = files) throws -> LoadedPolicy {
        let loaded = policyOrBundle(path, files: files)
        if let failure = loaded.failure {
            Standard.error(failure)
            throw Exit.unreadable
        }
        return loaded
    }

    /// The policy at `path`, or the policy in the bundle at `path` (a ustar archive), loaded
    /// alike; a bundle that is not safe or whose files are not its manifest's cannot be read.
    static func policyOrBundle(_ path: String, files: any FileAccess = files) -> LoadedPolicy {
        guard isBundle(path) else { return PolicyLoader.load(path, files: files) }
        do {
            let bundle = try PolicyBundle.open(Array(FileManager.default.contents(atPath: path) ?? Data()))
            return PolicyLoader.load(bundle.policyPath(at: path), files: bundle.files(at: path))
        } catch {
            return .unreadable(path, FileReadError("\(path): \(error)"))
        }
    }

    /// The revision of the policy at `path` as `serve` would name it: a bundle's own, or a digest
    /// of the files `loaded` read (``PolicyRevision``).
    static func revision(of path: String, _ loaded: LoadedPolicy) -> String {
        if isBundle(path), let data = FileManager.default.contents(atPath: path),
            let bundle = try? PolicyBundle.open(Array(data))
        {
            return bundle.manifest.revision
        }
        return PolicyRevision.of(loaded.sources)
    }

    /// Whether the file at `path` is a tar archive (`ustar` at byte 257).
    static func isBundle(_ path: String) -> Bool {
        guard let handle = FileHandle(forReadingAtPath: path) else { return false }
        defer { try? handle.close() }
        let head = handle.readData(ofLength: 262)
        return head.count == 262 && Array(head[257..<262]) == Array("ustar".utf8)
    }

    /// The bundle at `path`, or exit 65 with why it is refused.
    static func openBundle(_ path: String) throws -> PolicyBundle {
        guard let data = FileManager.default.contents(atPath: path) else {
            throw unreadable("error: \(path): no such file\n")
        }
        do {
            return try PolicyBundle.open(Array(data))
        } catch {
            throw unreadable("error: \(path): \(error)\n")
        }
    }

    /// The PEM public keys at `paths`; exits 65 when one cannot be read or is not a key.
    static func publicKeys(_ paths: [String]) throws -> [BundlePublicKey] {
        try paths.map { path in
            let source = try Loading.source(path)
            do {
                return try BundlePublicKey(pem: source.text)
            } catch {
                throw unreadable("error: \(path): \(error)\n")
            }
        }
    }

    /// Writes `bytes` to `path`, or exits 65.
    static func write(_ bytes: [UInt8], to path: String) throws {
        guard FileManager.default.createFile(atPath: path, contents: Data(bytes)) else {
            throw unreadable("error: \(path) cannot be written\n")
        }
    }

    /// Prints `message` and returns the exit for an input that cannot be used (65).
    static func unreadable(_ message: String) -> ExitCode {
        Standard.error(message)
        return Exit.unreadable
    }

    /// The compiled policy at `path`, or exit 65.
    static func policy(_ path: String) throws -> CompiledPolicy {
        try load(path).compiled!
    }

    /// The verifier for real credentials: JWT keys from `jwks` when given, else from the providers.
    static func verifier(for policy: Policy, jwks: String?) throws -> TokenVerifier {
        let online = TokenVerifier.online(for: policy)
        guard let jwks else { return online }
        do {
            return TokenVerifier(keys: try SavedKeySet(path: jwks), remote: online.remote)
        } catch {
            Standard.error("error: \(error.reason)\n")
            throw Exit.unreadable
        }
    }
}

/// Files of a git revision, named `REV:PATH` as `git show` takes them; a path without a revision
/// is read from the disk. A policy read this way reads the files it names from the same revision.
struct GitRevisionFiles: FileAccess {
    func read(_ path: String) throws(FileReadError) -> SourceFile {
        if FileManager.default.fileExists(atPath: path) || !path.contains(":") { return try LocalFiles().read(path) }
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["git", "show", path]
        let out = Pipe(), err = Pipe()
        process.standardOutput = out
        process.standardError = err
        do {
            try process.run()
        } catch {
            throw FileReadError("\(path): git cannot be run (\(error))")
        }
        let text = out.fileHandleForReading.readDataToEndOfFile()
        let problem = err.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        guard process.terminationStatus == 0 else {
            let reason = String(decoding: problem, as: UTF8.self).split(separator: "\n").first ?? "git show failed"
            throw FileReadError("\(path) cannot be read from git: \(reason)")
        }
        return SourceFile(name: path, text: String(decoding: text, as: UTF8.self))
    }
}
