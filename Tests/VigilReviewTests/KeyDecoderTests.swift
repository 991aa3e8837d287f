import Testing
@testable import VigilReview

@Suite("key decoding")
struct KeyDecoderTests {
    @Test(arguments: [
        ("\r", [Key.enter]), ("\n", [.enter]), ("\t", [.tab]), ("\u{7F}", [.backspace]),
        ("a5/?", [.char("a"), .char("5"), .char("/"), .char("?")]),
        ("\u{1B}[A\u{1B}[B\u{1B}[C\u{1B}[D", [.up, .down, .right, .left]),
        ("\u{1B}OA\u{1B}OD", [.up, .left]),
        ("\u{1B}[1;2A\u{1B}[1;2B\u{1B}[1;2C\u{1B}[1;2D", [.shiftUp, .shiftDown, .shiftRight, .shiftLeft]),
        ("\u{1B}[1;6C", [.shiftRight]),  // Ctrl+Shift: Shift counts
        ("\u{1B}[1;5C", [.right]),       // Ctrl alone: a plain arrow
        ("\u{1B}[Z", [.backTab]),
        ("\u{03}", [.control("c")]),
        ("é→", [.char("é"), .char("→")]),
        ("\u{1B}[3~x", [.char("x")]),     // Delete: ignored, the next key still decoded
    ] as [(String, [Key])])
    func decodes(_ input: String, _ keys: [Key]) {
        var decoder = KeyDecoder()
        #expect(decoder.feed(Array(input.utf8)) == keys)
        #expect(!decoder.hasPending)
    }

    @Test("a sequence split over reads is kept until complete")
    func splitSequences() {
        var decoder = KeyDecoder()
        #expect(decoder.feed([0x1B]).isEmpty)
        #expect(decoder.feed(Array("[1;".utf8)).isEmpty)
        #expect(decoder.hasPending)
        #expect(decoder.feed(Array("2C".utf8)) == [.shiftRight])
        let arrow = Array("é".utf8)
        #expect(decoder.feed([arrow[0]]).isEmpty)
        #expect(decoder.feed([arrow[1]]) == [.char("é")])
    }

    @Test("a lone Escape is a key once nothing follows")
    func loneEscape() {
        var decoder = KeyDecoder()
        #expect(decoder.feed([0x1B]).isEmpty)
        #expect(decoder.flush() == [.escape])
        #expect(decoder.feed(Array("\u{1B}x".utf8)) == [.escape, .char("x")])
        #expect(decoder.flush().isEmpty)
    }
}
