import VigilImaging

/// A 24-bit colour.
public struct RGB: Equatable, Hashable, Sendable {
    public var r: UInt8, g: UInt8, b: UInt8
    public init(_ r: UInt8, _ g: UInt8, _ b: UInt8) { self.r = r; self.g = g; self.b = b }

    public static let white = RGB(230, 230, 230)
    public static let grey = RGB(140, 140, 140)
    public static let dark = RGB(40, 40, 40)
    public static let green = RGB(80, 220, 100)
    public static let red = RGB(240, 70, 70)
    public static let yellow = RGB(250, 220, 60)
    public static let cyan = RGB(80, 200, 240)
    public static let magenta = RGB(230, 100, 230)

    /// The nearest colour of xterm's 256-colour palette (6×6×6 cube or the grey ramp).
    public var palette256: UInt8 {
        func level(_ v: UInt8) -> Int { v < 48 ? 0 : v < 115 ? 1 : (Int(v) - 35) / 40 }
        let cube = [0, 95, 135, 175, 215, 255]
        let (ri, gi, bi) = (level(r), level(g), level(b))
        let cubeColour = (cube[ri], cube[gi], cube[bi])
        let average = (Int(r) + Int(g) + Int(b)) / 3
        let greyIndex = average > 238 ? 23 : max(0, (average - 3) / 10)
        let greyLevel = 8 + greyIndex * 10
        func distance(_ c: (Int, Int, Int)) -> Int {
            let (dr, dg, db) = (c.0 - Int(r), c.1 - Int(g), c.2 - Int(b))
            return dr * dr + dg * dg + db * db
        }
        if distance((greyLevel, greyLevel, greyLevel)) < distance(cubeColour) { return UInt8(232 + greyIndex) }
        return UInt8(16 + 36 * ri + 6 * gi + bi)
    }
}

/// How colours are written: 24-bit (`COLORTERM=truecolor`/`24bit`) or the 256-colour palette.
public enum ColourMode: String, Sendable, CaseIterable {
    case trueColour = "truecolor"
    case palette256 = "256"

    /// True colour when `COLORTERM` says so, else the 256-colour palette every modern terminal has.
    public static func detect(environment: [String: String]) -> ColourMode {
        let c = (environment["COLORTERM"] ?? "").lowercased()
        return c == "truecolor" || c == "24bit" ? .trueColour : .palette256
    }
}

/// One character cell: a character (one Unicode scalar: a cell is never wider) with foreground and background colours.
public struct Cell: Equatable, Sendable {
    public var char: Unicode.Scalar
    public var fg: RGB
    public var bg: RGB
    public var bold: Bool

    public init(_ char: Unicode.Scalar = " ", fg: RGB = .white, bg: RGB = Screen.background, bold: Bool = false) {
        self.char = char
        self.fg = fg
        self.bg = bg
        self.bold = bold
    }
}

/// A frame: a grid of cells, drawn by the layout and turned into ANSI bytes in one piece.
///
/// Pure: ``ansi(_:)`` returns the bytes that repaint the whole terminal (cursor home, each row,
/// colours changed only where they change), so a frame is written with one `write`.
public struct Screen: Equatable, Sendable {
    public static let background = RGB(0, 0, 0)
    public let width: Int
    public let height: Int
    public private(set) var cells: [Cell]

    public init(width: Int, height: Int) {
        self.width = max(1, width)
        self.height = max(1, height)
        cells = Array(repeating: Cell(), count: self.width * self.height)
    }

    public subscript(x: Int, y: Int) -> Cell {
        get { cells[y * width + x] }
        set { if x >= 0, y >= 0, x < width, y < height { cells[y * width + x] = newValue } }
    }

    /// Writes `text` from column `x` of row `y`, clipped to the screen (and to `maxWidth`);
    /// returns the column after the last character written.
    @discardableResult
    public mutating func put(_ text: String, x: Int, y: Int, fg: RGB = .white, bg: RGB? = nil, bold: Bool = false, maxWidth: Int? = nil) -> Int {
        guard y >= 0, y < height else { return x }
        let limit = min(width, x + (maxWidth ?? width))
        var col = x
        for ch in text.unicodeScalars {
            if col >= limit { break }
            if col >= 0 {
                let keepBG = bg ?? cells[y * width + col].bg
                cells[y * width + col] = Cell(ch == "\n" || ch == "\t" ? " " : ch, fg: fg, bg: keepBG, bold: bold)
            }
            col += 1
        }
        return col
    }

    /// Fills a rectangle's background.
    public mutating func fill(x: Int, y: Int, width w: Int, height h: Int, bg: RGB) {
        for row in max(0, y)..<min(height, y + h) {
            for col in max(0, x)..<min(width, x + w) { cells[row * width + col] = Cell(" ", bg: bg) }
        }
    }

    /// The text of row `y` (for tests and captures).
    public func text(row y: Int) -> String {
        var out = String.UnicodeScalarView()
        out.append(contentsOf: cells[(y * width)..<((y + 1) * width)].map(\.char))
        return String(out)
    }

    /// Decimal digits of 0…255, for colour parameters without formatting.
    private static let decimal: [[UInt8]] = (0...255).map { Array(String($0).utf8) }

    /// The bytes that paint this frame over the whole terminal. A frame is mostly image cells
    /// whose colours all differ, so this is the hot path of a keystroke: bytes are appended
    /// directly, and a cell whose two colours both change gets one combined SGR sequence.
    public func ansi(_ mode: ColourMode) -> [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(width * height * (mode == .trueColour ? 40 : 24) + 64)
        func colourParameters(_ c: RGB, background: Bool) {
            switch mode {
            case .trueColour:
                out += background ? [0x34, 0x38, 0x3B, 0x32, 0x3B] : [0x33, 0x38, 0x3B, 0x32, 0x3B]  // 48;2; or 38;2;
                out += Self.decimal[Int(c.r)]; out.append(0x3B)
                out += Self.decimal[Int(c.g)]; out.append(0x3B)
                out += Self.decimal[Int(c.b)]
            case .palette256:
                out += background ? [0x34, 0x38, 0x3B, 0x35, 0x3B] : [0x33, 0x38, 0x3B, 0x35, 0x3B]  // 48;5; or 38;5;
                out += Self.decimal[Int(c.palette256)]
            }
        }
        out += Array("\u{1B}[?25l\u{1B}[0m".utf8)
        for y in 0..<height {
            out += [0x1B, 0x5B]; out += y < 255 ? Self.decimal[y + 1] : Array(String(y + 1).utf8); out += [0x3B, 0x31, 0x48]  // ESC [ row ; 1 H
            var fg: RGB?, bg: RGB?, bold = false
            for x in 0..<width {
                let cell = cells[y * width + x]
                if cell.bold != bold {
                    out += cell.bold ? [0x1B, 0x5B, 0x31, 0x6D] : [0x1B, 0x5B, 0x32, 0x32, 0x6D]
                    bold = cell.bold
                }
                let newFG = cell.fg != fg, newBG = cell.bg != bg
                if newFG || newBG {
                    out += [0x1B, 0x5B]
                    if newFG { colourParameters(cell.fg, background: false) }
                    if newFG && newBG { out.append(0x3B) }
                    if newBG { colourParameters(cell.bg, background: true) }
                    out.append(0x6D)  // m
                    fg = cell.fg
                    bg = cell.bg
                }
                let v = cell.char.value
                switch v {
                case 0..<0x80: out.append(UInt8(v))
                case 0x80..<0x800: out += [UInt8(0xC0 | v >> 6), UInt8(0x80 | v & 0x3F)]
                case 0x800..<0x10000: out += [UInt8(0xE0 | v >> 12), UInt8(0x80 | v >> 6 & 0x3F), UInt8(0x80 | v & 0x3F)]
                default: out += [UInt8(0xF0 | v >> 18), UInt8(0x80 | v >> 12 & 0x3F), UInt8(0x80 | v >> 6 & 0x3F), UInt8(0x80 | v & 0x3F)]
                }
            }
        }
        out += [0x1B, 0x5B, 0x30, 0x6D]
        return out
    }
}
