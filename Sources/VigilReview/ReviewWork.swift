import Foundation
import VigilCore
import VigilStore

/// The store side of a review session: the item on screen, the prefetched next one, answers,
/// undo, lease renewal and the release of every held claim on quit. No terminal: the unit
/// tests drive it with keys through ``ReviewSession`` against a real store.
///
/// Rules (docs/review.md): each answer is committed to the store before the next item shows;
/// a restart resumes the reviewer's live claims first; quitting releases every claim this
/// session holds (the one on screen and those prefetched).
public final class ReviewWork: @unchecked Sendable {
    public let store: any Store
    public let reviewer: String
    public let model: String?
    public let leaseMillis: Int64
    private let schemas: [String: ModelSchema]
    private let images: ImageLoader?
    private let clock: @Sendable () -> Int64
    private var prefetcher: Prefetcher!

    /// The item on screen.
    public private(set) var current: PreparedItem?
    /// When the item on screen was shown (milliseconds).
    public private(set) var shownAt: Int64 = 0
    public private(set) var tally = ReviewerTally()
    /// The outcomes of this session's answers, newest last (for undo's bookkeeping).
    private var answered: [(outcome: ReviewOutcome, agreed: Bool, seconds: Double)] = []
    private var lastRenewal: Int64 = 0

    public init(store: any Store, reviewer: String, model: String?, leaseMillis: Int64, schemas: [String: ModelSchema],
                images: ImageLoader?, clock: @escaping @Sendable () -> Int64) {
        self.store = store
        self.reviewer = reviewer
        self.model = model
        self.leaseMillis = leaseMillis
        self.schemas = schemas
        self.images = images
        self.clock = clock
    }

    /// Resumes the reviewer's live claims (a previous run that crashed or lost its terminal),
    /// then starts claiming; returns the first item (nil when there is nothing to review).
    @discardableResult
    public func start() throws -> PreparedItem? {
        let resume = try store.liveClaims(reviewer: reviewer, model: model, now: clock())
        let store = self.store, reviewer = self.reviewer, model = self.model, lease = leaseMillis
        let schemas = self.schemas, images = self.images, clock = self.clock
        prefetcher = Prefetcher(resume: resume) { claim in
            guard let claim = try claim ?? store.claim(model: model, reviewer: reviewer, now: clock(), leaseMillis: lease) else { return nil }
            guard let schema = schemas[claim.model] else { throw StoreError("no policy for model '\(claim.model)' of item \(claim.item)") }
            return PreparedItem.prepare(claim, schema: schema, images: images)
        }
        show(prefetcher.take())
        lastRenewal = clock()
        return current
    }

    private func show(_ item: PreparedItem?) {
        current = item
        shownAt = clock()
    }

    /// Carries out what a key asked for; returns a message for the reviewer: what an answer
    /// stored (``AnswerReceipt``), why it was not recorded, or what undo and refresh did.
    @discardableResult
    public func perform(_ action: ReviewSession.Action) -> String? {
        switch action {
        case .none, .quit: return nil
        case .refresh:
            prefetcher.refresh()
            show(prefetcher.take())
            return current == nil ? "still nothing to review" : nil
        case .submit(let outcome):
            guard let item = current else { return nil }
            let effect: AnswerEffect
            do {
                effect = try store.submit(assignment: item.claim.assignment, reviewer: reviewer, outcome: outcome, now: clock())
            } catch let error as QueueError {
                if case .leaseLost = error { show(prefetcher.take()) }  // the item is gone: move on
                return "\(error)"
            } catch {
                return "not recorded: \(error)"
            }
            let seconds = Double(max(0, clock() - shownAt)) / 1000
            let agreed: Bool
            switch outcome {
            case .label(let label): agreed = label == item.claim.predictedClass; tally.labeled += 1
            case .boxes(let boxes): agreed = boxes.allSatisfy { $0.verdict == .accepted }; tally.labeled += 1
            case .skip: agreed = false; tally.skipped += 1
            case .flag: agreed = false; tally.flagged += 1
            }
            if agreed { tally.agreed += 1 }
            tally.seconds += seconds
            answered.append((outcome, agreed, seconds))
            show(prefetcher.take())
            return AnswerReceipt.text(outcome, effect: effect, for: item)
        case .undo:
            let claim: ReviewClaim
            do {
                claim = try store.undoLast(reviewer: reviewer, model: model, now: clock(), leaseMillis: leaseMillis)
            } catch {
                return "\(error)"
            }
            if let last = answered.popLast() {
                switch last.outcome {
                case .label, .boxes: tally.labeled -= 1
                case .skip: tally.skipped -= 1
                case .flag: tally.flagged -= 1
                }
                if last.agreed { tally.agreed -= 1 }
                tally.seconds -= last.seconds
            }
            tally.undone += 1
            if let current { prefetcher.pushFront(current) }
            guard let schema = schemas[claim.model] else { return "no policy for model '\(claim.model)'" }
            show(PreparedItem.prepare(claim, schema: schema, images: images))
            return "undone: item \(claim.predictionID) is back"
        }
    }

    /// Renews the leases of every claim this session holds when a third of the lease has
    /// passed since the last renewal and the reviewer pressed a key within the lease; an idle
    /// reviewer's claims expire and go back to the queue. Returns a message when a lease was lost.
    public func renewIfDue(lastActivity: Int64) -> String? {
        let now = clock()
        guard now - lastRenewal >= leaseMillis / 3, now - lastActivity < leaseMillis else { return nil }
        lastRenewal = now
        var lost: String?
        for claim in (current.map { [$0.claim] } ?? []) + prefetcher.held() {
            do {
                _ = try store.renew(assignment: claim.assignment, reviewer: reviewer, now: now, leaseMillis: leaseMillis)
            } catch {
                lost = "\(error)"
            }
        }
        return lost
    }

    /// Waits until the next item is prepared (so a measurement sees the prefetch warm).
    public func waitForPrefetch() { prefetcher.waitUntilIdle() }

    /// Stops prefetching and releases every claim this session holds; returns how many.
    @discardableResult
    public func finish() -> Int {
        var claims = prefetcher?.stop() ?? []
        if let current { claims.insert(current.claim, at: 0) }
        current = nil
        var released = 0
        for claim in claims {
            if (try? store.release(assignment: claim.assignment, reviewer: reviewer, now: clock())) != nil { released += 1 }
        }
        return released
    }

    /// Today's progress: items done today (all reviewers) against the budget, and what is open.
    public func progress(budget: Int) -> QueueProgress {
        let now = clock()
        let midnight = now - now % 86_400_000
        let done = (try? store.labeledItemCount(model: model, since: midnight)) ?? 0
        let open = (try? store.queueStatus(model: model, now: now).open) ?? 0
        return QueueProgress(doneToday: done, budget: budget > 0 ? budget : done + open, open: open, now: now)
    }
}
