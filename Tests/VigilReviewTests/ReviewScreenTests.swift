import Testing
import VigilCore
import VigilImaging
@testable import VigilReview

@Suite("the layout at 80×24 and larger")
struct ReviewScreenTests {
    func rows(_ screen: Screen) -> [String] { (0..<screen.height).map { screen.text(row: $0) } }

    func classificationSession(image: Bool = true) -> ReviewSession {
        var prepared = item(task: .classification, predicted: "jar")
        if image { prepared.image = RGBImage(width: 160, height: 120) }
        var s = ReviewSession(reviewer: "ana")
        s.present(prepared)
        return s
    }

    @Test(arguments: [(80, 24), (120, 40), (200, 60)])
    func classificationScreen(_ width: Int, _ height: Int) {
        var tally = ReviewerTally()
        tally.labeled = 4; tally.agreed = 3; tally.seconds = 10
        let screen = ReviewScreen.render(classificationSession(), progress: QueueProgress(doneToday: 5, budget: 20, open: 15, now: t0),
                                         tally: tally, model: "shelf", width: width, height: height)
        let text = rows(screen)
        #expect(text.count == height && text.allSatisfy { $0.count == width })
        #expect(text[0].contains("vigil review · ana · shelf · item p-1"))
        #expect(text.contains { $0.contains("jar 0.70") })                  // the prediction with its score
        #expect(text.contains { $0.contains("1 can") } && text.contains { $0.contains("3 box") })
        #expect(text.contains { $0.contains("5/20") } && text.contains { $0.contains("█") })
        #expect(text.contains { $0.contains("ETA 00:00 UTC (0 min)") })       // 15 left × 2.5 s
        #expect(text.contains { $0.contains("you: 4 labelled") } && text.contains { $0.contains("75% = model") })
        #expect(text[height - 1].contains("Enter accept"))
        // The image takes the rest: two thirds of the width or more.
        let imageColumns = text[height / 2].filter { $0 == "▀" }.count
        #expect(imageColumns >= width * 55 / 100 - 1, "\(imageColumns) of \(width)")
    }

    @Test("a larger terminal gives the image more cells")
    func grows() {
        let small = ReviewScreen.render(classificationSession(), progress: QueueProgress(), tally: ReviewerTally(), model: nil, width: 80, height: 24)
        let large = ReviewScreen.render(classificationSession(), progress: QueueProgress(), tally: ReviewerTally(), model: nil, width: 160, height: 48)
        #expect(large.cells.filter { $0.char == "▀" }.count > 3 * small.cells.filter { $0.char == "▀" }.count)
    }

    @Test("below 80×24 the screen says so instead of drawing a broken layout")
    func tooSmall() {
        let screen = ReviewScreen.render(classificationSession(), progress: QueueProgress(), tally: ReviewerTally(), model: nil, width: 79, height: 24)
        #expect(screen.text(row: 0).hasPrefix("vigil review needs at least 80×24; this terminal is 79×24."))
    }

    @Test("an input that is not an image shows its text and attributes")
    func textInput() {
        var s = classificationSession(image: false)
        var prepared = s.item!
        prepared.inputURI = "s3://bucket/1.tiff"
        prepared.imageProblem = "s3://bucket/1.tiff: neither PNG nor JPEG"
        prepared.details = ["camera: c2", "data: a shelf photo"]
        s.present(prepared)
        let text = rows(ReviewScreen.render(s, progress: QueueProgress(), tally: ReviewerTally(), model: nil, width: 80, height: 24))
        #expect(text.contains { $0.contains("(no image: s3://bucket/1.tiff: neither") })
        #expect(text.contains { $0.contains("camera: c2") } && text.contains { $0.contains("data: a shelf photo") })
    }

    @Test("detection: the boxes with their verdicts beside the image, captions on it, the prompt while picking a class")
    func detection() {
        var prepared = item(task: .detection, classes: ["can", "bottle", "box"], boxes: ReviewSessionTests.twoBoxes)
        prepared.image = RGBImage(width: 160, height: 120)
        var s = ReviewSession(reviewer: "ana")
        s.present(prepared)
        _ = s.handle(.char("x"))
        var text = rows(ReviewScreen.render(s, progress: QueueProgress(), tally: ReviewerTally(), model: "dock", width: 100, height: 30))
        #expect(text.contains { $0.contains(" 1 can 0.90 rejected") } && text.contains { $0.contains("▶2 bottle 0.60 ?") })
        #expect(text.contains { $0.prefix(65).contains("1 can 0.90") } && text.contains { $0.prefix(65).contains("2 bottle 0.60") })  // captions on the image
        #expect(text[29].contains("Tab box · a accept · x reject"))
        _ = s.handle(.char("c"))
        text = rows(ReviewScreen.render(s, progress: QueueProgress(), tally: ReviewerTally(), model: "dock", width: 100, height: 30))
        #expect(text[28].contains("class for box 2"))
        #expect(text.contains { $0.contains("2 bottle") } && text.contains { $0.contains("CLASSES") })
        _ = s.handle(.escape)
        _ = s.handle(.char("?"))
        text = rows(ReviewScreen.render(s, progress: QueueProgress(), tally: ReviewerTally(), model: "dock", width: 100, height: 30))
        #expect(text.contains { $0.contains("Shift+arrows resize") })
    }

    func render(_ prepared: PreparedItem, width: Int = 80, height: Int = 24, keys: [Key] = []) -> [String] {
        var s = ReviewSession(reviewer: "ana")
        s.present(prepared)
        for key in keys { _ = s.handle(key) }
        return rows(ReviewScreen.render(s, progress: QueueProgress(), tally: ReviewerTally(), model: nil, width: width, height: height))
    }

    @Test("classes 0-9: the list, the key line and the help show each digit as its own key")
    func digitKeys() {
        let digits = item(task: .classification, predicted: "1", classes: (0...9).map(String.init))
        var text = render(digits, width: 120, height: 40)
        for d in 0...9 { #expect(text.contains { $0.contains("│\(d) \(d) ") }, "\(d)") }
        #expect(!text.contains { $0.contains("│1 0 ") })  // the old positional list
        #expect(text[39].contains("Enter accept · 0-9 pick · / find"))
        text = render(digits, width: 120, height: 40, keys: [.char("?")])
        #expect(text.contains { $0.contains("0-9          store the class with that key") })
    }

    @Test("a class named like a command: the list says the command keeps its key; help too")
    func commandNamedClass() {
        let sizes = item(task: .classification, predicted: "m", classes: ["s", "m", "l", "xl"])
        var text = render(sizes)
        #expect(text.contains { $0.contains("│1 s") } && text.contains { $0.contains("│m m") } && text.contains { $0.contains("│2 xl") })
        #expect(text.contains { $0.contains("s is skip; class s is key 1") })
        #expect(text[23].contains("Enter accept · keys pick") && text[23].contains("q quit"), "the whole key line fits 80 columns")
        text = render(sizes, keys: [.char("?")])
        #expect(text.contains { $0.contains("commands keep their keys: class s is 1") })
    }

    @Test("more classes than keys: the list says / finds the rest")
    func moreClassesThanKeys() {
        let many = item(task: .classification, classes: (0..<50).map { "class\($0)" })
        let text = render(many, width: 120, height: 40)
        #expect(text.contains { $0.contains("… ") && $0.contains("(18 without a key): / searches") })
        #expect(text[39].contains("Enter accept · keys pick"))
    }

    @Test("picking a box's class: the prompt and the list show the detection keys")
    func boxClassPrompt() {
        let boxes = [PreparedItem.PredictedBox(label: "cat", score: 0.9, x: 10, y: 10, width: 20, height: 20)]
        let text = render(item(task: .detection, classes: ["cat", "dog", "s"], boxes: boxes), keys: [.char("c")])
        #expect(text[22].contains("class for box 1: its key (1 2 s), or / to search"))
        #expect(text.contains { $0.contains("│s s") } && text.contains { $0.contains("│2 dog") })
    }

    @Test("with nothing left the screen says so")
    func empty() {
        var s = ReviewSession(reviewer: "ana")
        s.present(nil)
        let text = rows(ReviewScreen.render(s, progress: QueueProgress(doneToday: 20, budget: 20), tally: ReviewerTally(), model: nil, width: 80, height: 24))
        #expect(text.contains { $0.contains("Nothing left to review for ana.") })
        #expect(text.contains { $0.contains("20/20") })
    }
}
