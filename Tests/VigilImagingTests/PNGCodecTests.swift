import Foundation
import Testing
@testable import VigilImaging

@Suite("PNG codec")
struct PNGCodecTests {
    @Test("an encoded image decodes to the same pixels")
    func roundTrip() throws {
        var image = RGBImage(width: 7, height: 5)
        for y in 0..<5 { for x in 0..<7 { image[x, y] = (UInt8(x * 30), UInt8(y * 50), UInt8((x + y) * 10)) } }
        let data = try PNGCodec.encode(image)
        #expect(data.prefix(8) == Data([0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A]))
        #expect(try PNGCodec.decode(data) == image)
    }

    @Test("damaged or foreign bytes give an error, not a crash")
    func damaged() throws {
        #expect(throws: PNGCodec.Failure.self) { try PNGCodec.decode(Data("GIF89a not a png".utf8)) }
        let data = try PNGCodec.encode(RGBImage(width: 16, height: 16))
        #expect(throws: PNGCodec.Failure.self) { try PNGCodec.decode(data.prefix(data.count / 2)) }
    }

    @Test("a file written atomically reads back, and a missing file names its path")
    func files() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("png-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        let url = dir.appendingPathComponent("a.png")
        var image = RGBImage(width: 3, height: 2)
        image[2, 1] = (255, 128, 1)
        try PNGCodec.write(image, to: url)
        #expect(try PNGCodec.read(url) == image)
        let missing = dir.appendingPathComponent("missing.png")
        do { _ = try PNGCodec.read(missing); Issue.record("expected an error") } catch {
            #expect("\(error)".contains("missing.png"))
        }
    }
}
