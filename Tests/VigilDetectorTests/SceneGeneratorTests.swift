import Testing
import VigilImaging
@testable import VigilDetector

struct SceneGeneratorTests {
    @Test func sameSeedAndIndexGiveTheSameScene() {
        let g = SceneGenerator(domain: .source)
        #expect(g.scene(seed: 4, index: 17) == g.scene(seed: 4, index: 17))
        #expect(g.scene(seed: 4, index: 17) != g.scene(seed: 5, index: 17))
        #expect(g.scene(seed: 4, index: 17) != g.scene(seed: 4, index: 18))
        // A scene does not depend on which others were drawn.
        let set = SceneSet.synthesize(g, seed: 4, count: 3, prefix: "s", first: 16)
        #expect(set.image(1) == g.scene(seed: 4, index: 17).image)
        #expect(set.fileNames == ["s-000016.png", "s-000017.png", "s-000018.png"])
        // Drawn on several threads, in the order asked for.
        let indices = [9, 3, 40, 3, 0, 7, 12]
        #expect(g.scenes(seed: 4, indices: indices, workers: 3) == indices.map { g.scene(seed: 4, index: $0) })
    }

    @Test(arguments: ["source", "shifted"])
    func scenesFollowThePlacementRules(_ spec: String) throws {
        let g = SceneGenerator(domain: try Domain.parse(spec))
        var counts = Set<Int>(), classes = Set<Int>()
        for i in 0..<200 {
            let s = g.scene(seed: 9, index: i)
            #expect(s.image.width == 64 && s.image.height == 64)
            #expect(s.boxes.count <= 5)
            counts.insert(s.boxes.count)
            for (j, b) in s.boxes.enumerated() {
                classes.insert(b.classIndex)
                #expect(b.x >= 0 && b.y >= 0 && b.x + b.w <= 64 && b.y + b.h <= 64)
                for later in s.boxes[(j + 1)...] { #expect(later.intersection(b) <= 0.35 * b.area + 1e-9) }
            }
        }
        #expect(counts == Set(0...5))
        #expect(classes == Set(0..<5))
    }

    /// The truth-only path draws the same random numbers as a rendered scene, for every texture.
    @Test(arguments: ["source", "shifted", "source,textures=stripes", "source,textures=checks", "source,textures=clouds"])
    func boxesWithoutPixelsAreTheScenesBoxes(_ spec: String) throws {
        let g = SceneGenerator(domain: try Domain.parse(spec))
        var objects = 0
        for i in 0..<150 {
            let boxes = g.boxes(seed: 5, index: i)
            #expect(boxes == g.scene(seed: 5, index: i).boxes, "scene \(i)")
            objects += boxes.count
        }
        #expect(objects > 150)
        let input = ImageInput.scene(domain: spec, seed: 5, index: 3, size: 64)
        #expect(try input.truth() == input.load(base: "/").truth)
        #expect(try ImageInput.file("x.png").truth() == nil)
    }

    /// On a flat background without noise, the pixels that differ from it span the box.
    @Test func boxesAreTheObjectsExtent() throws {
        let d = try Domain.parse("source,texture_strength=0,noise=0,background=100:100,max_objects=1")
        let g = SceneGenerator(domain: d)
        var checked = 0
        for i in 0..<120 {
            let s = g.scene(seed: 2, index: i)
            guard let box = s.boxes.first else { continue }
            var (x0, y0, x1, y1) = (64, 64, -1, -1)
            for y in 0..<64 { for x in 0..<64 {
                let p = s.image[x, y]
                if p.r != 100 || p.g != 100 || p.b != 100 { x0 = min(x0, x); y0 = min(y0, y); x1 = max(x1, x); y1 = max(y1, y) }
            } }
            #expect(abs(Double(x0) - box.x) <= 1 && abs(Double(y0) - box.y) <= 1, "scene \(i) class \(box.classIndex)")
            #expect(abs(Double(x1 + 1) - (box.x + box.w)) <= 1 && abs(Double(y1 + 1) - (box.y + box.h)) <= 1, "scene \(i) class \(box.classIndex)")
            checked += 1
        }
        #expect(checked > 40)
    }

    @Test func shiftedDomainLooksDifferent() {
        let a = SceneGenerator(domain: .source).scene(seed: 1, index: 0).image.pixels
        let b = SceneGenerator(domain: .shifted).scene(seed: 1, index: 0).image.pixels
        let meanA = a.reduce(0) { $0 + Int($1) } / a.count, meanB = b.reduce(0) { $0 + Int($1) } / b.count
        #expect(meanB < meanA)
    }

    @Test func domainSpecs() throws {
        let d = try Domain.parse("shifted,noise=2,tint=1:0.5:1,textures=stripes+clouds,scale=6:9,palette=swapped,name=cam7")
        #expect(d.name == "cam7" && d.noise == 2 && d.tintGreen == 0.5 && d.textures == [.stripes, .clouds])
        #expect(d.scaleMin == 6 && d.scaleMax == 9 && d.palette == .swapped && d.blur == Domain.shifted.blur)
        #expect(throws: DetectorError.self) { try Domain.parse("night") }
        #expect(throws: DetectorError.self) { try Domain.parse("source,fog=1") }
        #expect(throws: DetectorError.self) { try Domain.parse("source,palette=neon") }
        #expect(throws: DetectorError.self) { try Domain.parse("source,scale=9:4") }
    }

    @Test func setsRoundTripThroughPNGAndCOCO() throws {
        let set = SceneSet.synthesize(SceneGenerator(domain: .shifted, size: 32), seed: 3, count: 5, prefix: "rt")
        let dir = URL(fileURLWithPath: NSTemporaryDirectory() + "vigil-det-\(UUID().uuidString)")
        try set.write(to: dir)
        let back = try SceneSet.load(from: dir)
        #expect(back.pixels == set.pixels && back.boxes == set.boxes && back.fileNames == set.fileNames)
        #expect(back.classes == SceneGenerator.classNames && back.size == 32 && back.fingerprint.count == 64)
        #expect(throws: DetectorError.self) { try SceneSet.load(from: dir.appendingPathComponent("missing")) }
    }
}

import Foundation
