import NIOCore
import NIOSSL

/// Right after NIOSSL's handler: counts each connection whose handshake failed in
/// `gatehouse_tls_handshake_failures_total`, once per connection (NIOSSL may report one failure
/// as several errors), and passes everything on unchanged. A failure is no client certificate,
/// one from another CA, a client that does not speak TLS, and also a connection closed before its
/// handshake (a TCP port probe): BoringSSL reports them alike. One per connection, used on its
/// event loop only.
final class TLSRefusals: ChannelInboundHandler {
    typealias InboundIn = ByteBuffer
    typealias InboundOut = ByteBuffer

    let metrics: ServerMetrics
    private var counted = false

    init(metrics: ServerMetrics) {
        self.metrics = metrics
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        if !counted, case .handshakeFailed = error as? NIOSSLError {
            counted = true
            metrics.tlsRefused()
        }
        context.fireErrorCaught(error)
    }
}
