import Testing
import VigilCore
@testable import VigilSampling

struct UncertaintyScoreTests {
    func value(_ task: ModelTask, score: Double?, payload: String?, settings: UncertaintySettings = .init()) -> Double {
        let u = UncertaintyScore(settings: settings, task: task)
        guard var p = payload else { return u.value(score: score, payload: nil) }
        return p.withUTF8 { u.value(score: score, payload: $0) }
    }

    @Test func classificationUsesTheTopTwoMargin() {
        #expect(abs(value(.classification, score: 0.5, payload: #"{"scores":{"a":0.5,"b":0.3,"c":0.2}}"#) - 0.8) < 1e-12)
        #expect(abs(value(.classification, score: 0.99, payload: #"{"input":{"uri":"x","attributes":{"scores":"no"}},"scores":{"a":0.01,"b":0.99}}"#) - 0.02) < 1e-12)
    }

    @Test func withoutScoresTheDistanceToTheThresholdCounts() {
        #expect(abs(value(.classification, score: 0.55, payload: nil) - 0.9) < 1e-12)
        #expect(value(.classification, score: 1, payload: #"{"input":{"uri":"x"}}"#) == 0)
        #expect(abs(value(.classification, score: 0.8, payload: nil, settings: UncertaintySettings(threshold: 0.8)) - 1) < 1e-12)
        #expect(value(.classification, score: nil, payload: nil) == 0)
    }

    @Test func detectorsLookForABoxInTheBand() {
        let inBand = #"{"boxes":[{"label":"a","score":0.95,"bbox":[0,0,1,1]},{"label":"b","score":0.45,"bbox":[1,1,2,2]}]}"#
        let outside = #"{"boxes":[{"label":"a","score":0.95,"bbox":[0,0,1,1]},{"label":"b","score":0.1,"bbox":[1,1,2,2]}]}"#
        #expect(value(.detection, score: nil, payload: inBand) == 1)
        #expect(value(.detection, score: nil, payload: outside) == 0)
        let u = UncertaintyScore(settings: .init(), task: .detection)
        #expect(abs(u.weight(score: nil, payload: nil) - 0.05) < 1e-12)
    }
}
