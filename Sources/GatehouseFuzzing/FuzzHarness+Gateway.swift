import Foundation
import Gatehouse
import GatehouseServer
import NIOCore
import NIOEmbedded
import NIOHTTPTypes

extension FuzzHarness {
    /// Bytes into the pipeline `serve` builds (NIO's HTTP/1.1 codec, the fast path, the conversion
    /// to HTTPTypes), as a connection would send them; a decoder's refusal of malformed bytes is an
    /// error of the channel, not a crash. The harness's policy allows nothing but `/public/**`, so
    /// an input that cannot name it (no `ublic`, no percent-escape) is never answered 200.
    public static func gateway(_ input: [UInt8]) {
        let channel = EmbeddedChannel()
        let decisions = Decisions(
            policy: gatewayPolicy, ledger: Ledger(log: nil, metrics: gatewayMetrics), clock: { fixedNow })
        do {
            try GatehouseHTTP1Channel.configure(
                channel.pipeline.syncOperations, on: channel.eventLoop, decisions: decisions, handoff: Handoff(),
                configuration: DecisionServer.http1)
            try channel.connect(to: SocketAddress(ipAddress: "127.0.0.1", port: 1)).wait()
            try channel.writeInbound(ByteBuffer(bytes: input))
        } catch {
            // NIO refused the bytes as HTTP: the connection would be closed.
        }
        var written = ""
        while let data = try? channel.readOutbound(as: IOData.self) {
            if case .byteBuffer(let buffer) = data { written += String(buffer: buffer) }
        }
        while (try? channel.readInbound(as: HTTPRequestPart.self)) != nil {}
        // An embedded loop runs queued tasks (a close's own cleanup among them) only when told.
        channel.embeddedEventLoop.run()
        _ = try? channel.finish()
        let text = String(decoding: input, as: UTF8.self)
        if !text.contains("ublic") && !text.contains("%") {
            require(!written.contains("HTTP/1.1 200"), "a request the policy cannot allow was answered 200")
        }
    }

    static let gatewayPolicy = ActivePolicy(
        {
            switch ActivePolicy.load(SourceFile(name: "fuzz.yaml", text: targetPolicy)) {
            case .success(let loaded): return loaded
            case .failure(let unusable): fatalError("the fuzz harness's own policy does not load: \(unusable)")
            }
        }())
    static let gatewayMetrics = ServerMetrics()
}
