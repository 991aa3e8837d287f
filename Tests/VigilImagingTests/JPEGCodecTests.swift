import Foundation
import Testing
@testable import VigilImaging

@Suite("JPEG codec")
struct JPEGCodecTests {
    /// A smooth gradient with a red square: JPEG keeps it within a few levels.
    static func scene(width: Int = 64, height: Int = 48) -> RGBImage {
        var image = RGBImage(width: width, height: height)
        for y in 0..<height {
            for x in 0..<width { image[x, y] = (UInt8(x * 255 / width), UInt8(y * 255 / height), 96) }
        }
        for y in 16..<32 { for x in 16..<32 { image[x, y] = (230, 20, 20) } }
        return image
    }

    @Test("a JPEG made by libjpeg's encoder decodes to approximately the same pixels")
    func decodesRealJPEG() throws {
        let image = Self.scene()
        let data = try JPEGCodec.encode(image, quality: 95)
        #expect(data.prefix(3) == Data([0xFF, 0xD8, 0xFF]))  // SOI + a marker: a real JFIF stream
        let decoded = try JPEGCodec.decode(data)
        #expect(decoded.width == 64 && decoded.height == 48)
        // Chroma subsampling blurs the square's edges; on average the pixels stay within a few levels.
        var total = 0
        for i in 0..<image.pixels.count { total += abs(Int(image.pixels[i]) - Int(decoded.pixels[i])) }
        #expect(Double(total) / Double(image.pixels.count) < 3, "mean absolute error \(Double(total) / Double(image.pixels.count))")
        #expect(decoded[2, 40].g > 190 && decoded[60, 2].r > 220)  // the gradient's corners
        let centre = decoded[24, 24]
        #expect(centre.r > 200 && centre.g < 50 && centre.b < 50)
    }

    @Test("damaged or foreign bytes give an error, not a crash or exit")
    func damaged() throws {
        #expect(throws: JPEGCodec.Failure.self) { try JPEGCodec.decode(Data()) }
        #expect(throws: JPEGCodec.Failure.self) { try JPEGCodec.decode(Data("\u{89}PNG not a jpeg at all".utf8)) }
        let data = try JPEGCodec.encode(Self.scene())
        #expect(throws: JPEGCodec.Failure.self) { try JPEGCodec.decode(data.prefix(40)) }
        var broken = data
        broken[0] = 0x00  // no start-of-image marker
        #expect(throws: JPEGCodec.Failure.self) { try JPEGCodec.decode(broken) }
    }
}
