import Foundation
import VigilCore

/// The size of a quickstart run. ``full`` is the README's demonstration; ``fast`` tells the same
/// story on less data, for the tests (docs/quickstart.md has the measured times).
public struct QuickstartSettings: Sendable, Equatable {
    /// Simulated days of production traffic.
    public var days = 30
    /// The day (0-based) the camera changes: from then on every image comes from the `shifted` domain.
    public var changeDay = 12
    /// The first simulated day, a Thursday: the change day 12 is a Tuesday, and the weekly
    /// retrain-check (Mondays at 02:00) first sees the new camera on day 18, with six days of
    /// reviewed images from it.
    public var start = Timestamp.parseMillis("2026-10-01T00:00:00Z")!
    /// Source-domain scenes v1 trains on, and its epochs.
    public var trainingScenes = 2000
    public var epochs = 8
    /// Production images per simulated hour.
    public var imagesPerHour = 40
    /// Items the sampler may queue per day.
    public var dailyBudget = 200
    /// Probability that the simulated reviewer misses a box, and (separately) that it names the wrong class.
    public var reviewerErrorRate = 0.02
    /// Fine-tuning of v2: epochs and replayed v1 training scenes.
    public var fineTuneEpochs = 15
    public var replay = 400
    /// Retraining's trigger: labels since the champion, and the gate's holdout minimum per class.
    public var minNewLabels = 300
    public var minHoldoutPerClass = 20
    /// Seed of everything random: scenes, sampling, the reviewer's mistakes, training.
    public var seed: UInt64 = 7

    public init() {}

    /// The README's run.
    public static let full = QuickstartSettings()

    /// The same 30 days on a smaller scale (fewer images per hour, a smaller v1), for tests.
    public static let fast: QuickstartSettings = {
        var s = QuickstartSettings()
        s.trainingScenes = 1500
        s.imagesPerHour = 12
        s.dailyBudget = 150
        s.fineTuneEpochs = 12
        s.replay = 300
        s.minNewLabels = 200
        return s
    }()

    /// Milliseconds from `start` to the beginning of day `d`.
    public func dayStart(_ d: Int) -> Int64 { start + Int64(d) * 86_400_000 }
}
