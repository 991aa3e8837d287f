import Testing
import VigilImaging
@testable import VigilReview

@Suite("screen, colours and the half-block renderer")
struct ScreenTests {
    @Test("text is clipped to the screen and to its width")
    func putClips() {
        var s = Screen(width: 10, height: 2)
        #expect(s.put("hello world", x: 3, y: 0) == 10)
        #expect(s.text(row: 0) == "   hello w")
        s.put("abcdef", x: -2, y: 1, maxWidth: 5)
        #expect(s.text(row: 1) == "cde       ")
        s.put("never", x: 0, y: 5)  // off screen: nothing, no crash
    }

    @Test("ANSI output: true colour and 256-colour escapes, a colour written only when it changes")
    func ansi() {
        var s = Screen(width: 3, height: 1)
        s.put("ab", x: 0, y: 0, fg: RGB(255, 0, 0))
        s[2, 0] = Cell("▀", fg: RGB(1, 2, 3), bg: RGB(4, 5, 6))
        let truecolour = String(decoding: s.ansi(.trueColour), as: UTF8.self)
        #expect(truecolour == "\u{1B}[?25l\u{1B}[0m\u{1B}[1;1H\u{1B}[38;2;255;0;0;48;2;0;0;0mab\u{1B}[38;2;1;2;3;48;2;4;5;6m▀\u{1B}[0m")
        let palette = String(decoding: s.ansi(.palette256), as: UTF8.self)
        #expect(palette == "\u{1B}[?25l\u{1B}[0m\u{1B}[1;1H\u{1B}[38;5;196;48;5;16mab\u{1B}[38;5;16;48;5;232m▀\u{1B}[0m")
    }

    @Test(arguments: [(RGB(0, 0, 0), 16), (RGB(255, 255, 255), 231), (RGB(255, 0, 0), 196), (RGB(0, 0, 255), 21),
                      (RGB(128, 128, 128), 244), (RGB(95, 135, 175), 67)] as [(RGB, Int)])
    func palette(_ colour: RGB, _ index: Int) {
        #expect(Int(colour.palette256) == index)
    }

    @Test("COLORTERM picks true colour; anything else the 256-colour palette")
    func detect() {
        #expect(ColourMode.detect(environment: ["COLORTERM": "truecolor"]) == .trueColour)
        #expect(ColourMode.detect(environment: ["COLORTERM": "24bit"]) == .trueColour)
        #expect(ColourMode.detect(environment: ["TERM": "xterm-256color"]) == .palette256)
    }

    @Test("an image becomes half blocks: upper pixel as foreground, lower as background")
    func halfBlocks() {
        var image = RGBImage(width: 2, height: 2)
        image[0, 0] = (255, 0, 0); image[1, 0] = (0, 255, 0)
        image[0, 1] = (0, 0, 255); image[1, 1] = (255, 255, 255)
        var s = Screen(width: 2, height: 1)
        ImageRenderer.draw(image, boxes: [], into: &s, x: 0, y: 0, columns: 2, rows: 1)
        #expect(s[0, 0] == Cell("▀", fg: RGB(255, 0, 0), bg: RGB(0, 0, 255)))
        #expect(s[1, 0] == Cell("▀", fg: RGB(0, 255, 0), bg: RGB(255, 255, 255)))
    }

    @Test("shrinking averages the pixels of each cell, and keeps the aspect ratio")
    func shrink() {
        var image = RGBImage(width: 64, height: 32)
        for y in 0..<32 { for x in 0..<64 { image[x, y] = x % 2 == 0 ? (200, 0, 0) : (0, 0, 100) } }
        let fit = ImageRenderer.fit(width: 64, height: 32, columns: 40, rows: 20)
        #expect(fit.width == 40 && fit.height == 20)  // limited by the width: 64 → 40 px, 32 → 20 px = 10 rows
        let grid = ImageRenderer.scaled(image, width: 8, height: 4)
        #expect(grid.allSatisfy { $0 == RGB(100, 0, 50) })
    }

    @Test("boxes are outlined in their colour with the caption above")
    func overlay() {
        let image = RGBImage(width: 40, height: 40)
        var s = Screen(width: 40, height: 20)
        let box = OverlayBox(x: 10, y: 10, width: 20, height: 20, colour: .green, caption: "1 can 0.91")
        ImageRenderer.draw(image, boxes: [box], into: &s, x: 0, y: 0, columns: 40, rows: 20)
        #expect(s[10, 5].fg == .green && s[20, 5].fg == .green)       // the top edge (pixel row 10 = upper half of cell row 5)
        #expect(s[10, 10].fg == .green || s[10, 10].bg == .green)    // the left edge
        #expect(s[20, 10].fg == Screen.background && s[20, 10].bg == Screen.background)  // inside: the image
        #expect(s.text(row: 4).contains("1 can 0.91"))
    }
}
