import Gatehouse
import Testing

@testable import GatehouseIdentity

/// The JSON reader skips plain runs of a string eight bytes at a time; these tests hold it to a
/// byte-by-byte reading of the same text, with every kind of byte at every offset from the
/// words' boundaries.
@Suite struct StrictJSONTests {
    /// One piece of a string's body: its bytes in the JSON text, and what it reads as (nil: the
    /// text must be refused).
    struct Piece {
        let text: [UInt8]
        let value: [UInt8]?
    }

    static let pieces: [Piece] = [
        Piece(text: Array("a".utf8), value: Array("a".utf8)),
        Piece(text: Array("Zz09~ ".utf8), value: Array("Zz09~ ".utf8)),
        Piece(text: [0x7F], value: [0x7F]),
        Piece(text: Array(#"\""#.utf8), value: Array(#"""#.utf8)),
        Piece(text: Array(#"\\"#.utf8), value: Array(#"\"#.utf8)),
        Piece(text: Array(#"\u00e9"#.utf8), value: [0xC3, 0xA9]),
        Piece(text: [0xC3, 0xA9], value: [0xC3, 0xA9]),
        Piece(text: [0xF0, 0x9F, 0x94, 0x91], value: [0xF0, 0x9F, 0x94, 0x91]),
        Piece(text: [0x01], value: nil),
        Piece(text: [0x1F], value: nil),
        Piece(text: [0x0A], value: nil),
        Piece(text: [0xFF], value: nil),
        Piece(text: [0xC3], value: nil),
        Piece(text: [0xED, 0xA0, 0x80], value: nil),
    ]

    /// Every piece after 0 to 17 plain bytes and before 0 to 9 more, as the value of a key: the
    /// reader returns exactly the piece's value, or refuses the text when the piece is refused.
    @Test func everyPieceAtEveryOffset() throws {
        var checked = 0
        for piece in Self.pieces {
            for before in 0...17 {
                for after in 0...9 {
                    let prefix = Array(repeating: UInt8(ascii: "p"), count: before)
                    let suffix = Array(repeating: UInt8(ascii: "s"), count: after)
                    let document = Array(#"{"k":""#.utf8) + prefix + piece.text + suffix + Array(#""}"#.utf8)
                    let read = try? StrictJSON.object(document)
                    if let value = piece.value {
                        let expected = String(decoding: prefix + value + suffix, as: UTF8.self)
                        #expect(read?["k"] == .string(expected), "piece \(piece.text) at \(before)")
                    } else {
                        #expect(read == nil, "piece \(piece.text) at \(before) was accepted")
                    }
                    checked += 1
                }
            }
        }
        #expect(checked == Self.pieces.count * 18 * 10)
    }

    /// A string that runs to the end of the text, whole words and a short tail, is unterminated.
    @Test func anUnterminatedStringIsRefused() {
        for length in 0...24 {
            let document = Array(#"{"k":""#.utf8) + Array(repeating: UInt8(ascii: "x"), count: length)
            #expect(throws: StrictJSON.Failure(reason: "unterminated string")) { try StrictJSON.object(document) }
        }
    }
}
