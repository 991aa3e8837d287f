import Foundation
import Testing
@testable import VigilCore

/// Windows and tidecv's answers from `scripts/make_tide_fixture.py` (AP in tidecv's percent points).
struct TIDEFixture: Decodable {
    struct Box: Decodable {
        var label: Int
        var bbox: [Double]
        var score: Double?
        var iscrowd: Int?
        var detectionBox: DetectionBox {
            DetectionBox(labelIndex: label, score: score, bbox: (bbox[0], bbox[1], bbox[2], bbox[3]), isCrowd: iscrowd == 1)
        }
    }
    struct Image: Decodable {
        var ground_truth: [Box]
        var predicted: [Box]
    }
    struct ClassFigures: Decodable {
        var ap50: Double?
        var ap50_if_fixed: [String: Double?]
        var counts: [String: Int]
    }
    struct Figures: Decodable {
        var ap50: Double
        var dap: [String: Double]
        var ap50_if_fixed: [String: Double]
        var special_dap: [String: Double]
        var counts: [String: Int]
        var per_class: [String: ClassFigures]
    }
    struct Case: Decodable, CustomStringConvertible {
        var name: String
        var classes: Int
        var images: [Image]
        var tidecv: Figures
        var description: String { name }
        var window: [DetectionEvaluation.Image] {
            images.map { DetectionEvaluation.Image(predicted: $0.predicted.map(\.detectionBox), groundTruth: $0.ground_truth.map(\.detectionBox)) }
        }
        var classNames: [String] { (0..<classes).map { "c\($0)" } }
    }
    var tidecv: String
    var cases: [Case]

    static let loaded: TIDEFixture? = {
        guard let url = Bundle.module.url(forResource: "tide_cases", withExtension: "json", subdirectory: "Fixtures"),
              let data = try? Data(contentsOf: url) else { return nil }
        return try? JSONDecoder().decode(TIDEFixture.self, from: data)
    }()
}

/// tidecv's short name of each error type.
private let tidecvName: [ErrorTaxonomy.Kind: String] = [.cls: "Cls", .loc: "Loc", .both: "Both", .dupe: "Dupe", .bkg: "Bkg", .miss: "Miss"]
/// Agreement with tidecv, in its percent points.
private let tolerance = 1e-9

@Suite("TIDE error taxonomy matches tidecv")
struct ErrorTaxonomyTests {
    @Test func fixtureIsThere() throws {
        let fixture = try #require(TIDEFixture.loaded)
        #expect(fixture.cases.count == 3)
        for c in fixture.cases {
            for kind in ErrorTaxonomy.Kind.allCases { #expect(c.tidecv.counts[tidecvName[kind]!]! > 0, "\(c.name) has \(kind) errors") }
        }
    }

    @Test(arguments: TIDEFixture.loaded?.cases ?? [])
    func wholeModelFiguresEqualTidecv(_ c: TIDEFixture.Case) throws {
        let taxonomy = try #require(ErrorTaxonomy(images: c.window, classNames: c.classNames))
        #expect(abs(taxonomy.ap50 * 100 - c.tidecv.ap50) <= tolerance, "AP50 \(taxonomy.ap50 * 100) vs tidecv \(c.tidecv.ap50)")
        for kind in ErrorTaxonomy.Kind.allCases {
            let name = tidecvName[kind]!
            let cost = taxonomy.errors[kind]
            #expect(cost.count == c.tidecv.counts[name], "\(kind) count")
            #expect(abs(cost.dap * 100 - c.tidecv.dap[name]!) <= tolerance, "\(kind) dAP \(cost.dap * 100) vs tidecv \(c.tidecv.dap[name]!)")
            #expect(abs(cost.ap50IfFixed * 100 - c.tidecv.ap50_if_fixed[name]!) <= tolerance, "\(kind) AP50 if fixed")
        }
        #expect(abs(taxonomy.falsePositiveDAP * 100 - c.tidecv.special_dap["FalsePos"]!) <= tolerance)
        #expect(abs(taxonomy.falseNegativeDAP * 100 - c.tidecv.special_dap["FalseNeg"]!) <= tolerance)
    }

    @Test(arguments: TIDEFixture.loaded?.cases ?? [])
    func perClassFiguresEqualTidecv(_ c: TIDEFixture.Case) throws {
        let taxonomy = try #require(ErrorTaxonomy(images: c.window, classNames: c.classNames))
        for (k, row) in taxonomy.perClass.enumerated() {
            let theirs = try #require(c.tidecv.per_class[String(k)])
            for kind in ErrorTaxonomy.Kind.allCases {
                #expect(row.counts[kind] == theirs.counts[tidecvName[kind]!], "class \(k) \(kind) count")
            }
            guard let ap50 = row.ap50, let dap = row.dap else {
                #expect(row.groundTruthBoxes == 0)
                continue
            }
            let base = try #require(theirs.ap50)
            #expect(abs(ap50 * 100 - base) <= tolerance, "class \(k) AP50")
            for kind in ErrorTaxonomy.Kind.allCases {
                let ifFixed = (theirs.ap50_if_fixed[tidecvName[kind]!] ?? nil) ?? 0
                #expect(abs(dap[kind] * 100 - max(ifFixed - base, 0)) <= tolerance, "class \(k) \(kind) dAP")
            }
        }
    }

    @Test func aClassOnlyEverPredictedCountsAsAPZeroAsInTidecv() throws {
        // One perfect box of class 0, one background box of class 1 (no ground truth of class 1).
        let image = DetectionEvaluation.Image(
            predicted: [DetectionBox(labelIndex: 0, score: 0.9, bbox: (0, 0, 10, 10)), DetectionBox(labelIndex: 1, score: 0.8, bbox: (50, 50, 10, 10))],
            groundTruth: [DetectionBox(labelIndex: 0, score: nil, bbox: (0, 0, 10, 10))])
        let taxonomy = try #require(ErrorTaxonomy(images: [image], classNames: ["a", "b"]))
        #expect(taxonomy.ap50 == 0.5)
        #expect(taxonomy.errors.bkg.count == 1)
        #expect(taxonomy.errors.bkg.dap == 0.5)  // fixing it empties class b, which leaves the mean
        #expect(taxonomy.perClass[1].ap50 == nil)
    }

    @Test func noBoxesNoTaxonomy() {
        #expect(ErrorTaxonomy(images: [DetectionEvaluation.Image(predicted: [], groundTruth: [])], classNames: ["a"]) == nil)
    }
}
