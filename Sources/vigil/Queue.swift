import ArgumentParser
import Foundation
import VigilCore
import VigilJobs
import VigilSampling
import VigilStore
import VigilWorkspace

struct Queue: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Look at and manage the review queue.",
        discussion: """
            The queue is filled by `vigil sample` (or the scheduled `sample` job); reviewers claim items under a lease (review.lease, default 10m), and answer with a label, a skip or a flag. These commands look at it and hand claims back.

              vigil queue status
              vigil queue list --state open --limit 20
              vigil queue release --reviewer alice      # give alice's claims back
              vigil queue stats --model shelf-classifier
            """,
        subcommands: [Status.self, List.self, Release.self, Stats.self])

    struct Status: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Counts: open, claimed, done, flagged items; expired and skipped claims; items per strategy.",
            discussion: "  vigil queue status --model shelf-classifier --format json")
        @Option(help: "Only this model.") var model: String?
        @Option(help: "Output: table or json.") var format: ListFormat = .table
        @OptionGroup var workspace: WorkspaceOptions

        func run() throws {
            let s = try reportingErrors(exitCode: 1) { () throws -> QueueStatus in
                let clock = try workspace.clock()
                return try workspace.workspace().openStore(access: .readOnly).queueStatus(model: model, now: Timestamp.millis(clock.now))
            }
            switch format {
            case .json: print(try jsonText(s))
            case .table:
                print("open: \(s.open)  claimed: \(s.claimed)  done: \(s.done)" + (s.closedByLabels > 0 ? " (\(s.closedByLabels) closed by ingested labels)" : "") + "  flagged: \(s.flagged)  expired claims: \(s.expired)  skipped: \(s.skipped)")
                print("by strategy: " + s.byStrategy.sorted { $0.key < $1.key }.map { "\($0.key) \($0.value)" }.joined(separator: ", "))
            }
        }
    }

    struct List: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "List queue items, newest first, with strategy, inclusion probability and who holds them.",
            discussion: "  vigil queue list --state open --limit 20")
        @Option(help: "Only this model.") var model: String?
        @Option(help: "Only items in this state: open, done or flagged.") var state: String?
        @Option(help: "How many items.") var limit = 50
        @Option(help: "Output: table or json.") var format: ListFormat = .table
        @OptionGroup var workspace: WorkspaceOptions

        func validate() throws {
            if let state, !["open", "done", "flagged"].contains(state) { throw ValidationError("--state: '\(state)' is not open, done or flagged") }
        }

        func run() throws {
            let items = try reportingErrors(exitCode: 1) { try workspace.workspace().openStore().reviewItems(model: model, state: state, limit: limit) }
            switch format {
            case .json: print(try jsonText(items))
            case .table:
                if items.isEmpty { print("the queue is empty: run `vigil sample`") }
                for i in items {
                    print("\(i.id)  \(i.model)  \(i.predictionID)  \(i.strategy)  π=\(String(format: "%.4g", i.inclusionProbability))  \(i.state)"
                          + (i.reviewsRequired > 1 ? "  double" : "") + (i.isGold ? "  gold" : "")
                          + (i.claimedBy.isEmpty ? "" : "  claimed by \(i.claimedBy.joined(separator: ", "))"))
                }
            }
        }
    }

    struct Release: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Give live claims back to the queue (all, one reviewer's, or one claim's), and return expired ones.",
            discussion: """
                  vigil queue release --reviewer alice
                  vigil queue release --all
                  vigil queue release --claim 42 --reviewer alice
                """)
        @Option(help: "Only this reviewer's claims.") var reviewer: String?
        @Option(help: "Only this claim (with --reviewer).") var claim: Int64?
        @Option(help: "Only this model.") var model: String?
        @Flag(help: "Every live claim.") var all = false
        @OptionGroup var workspace: WorkspaceOptions

        func validate() throws {
            if reviewer == nil && !all { throw ValidationError("give --reviewer NAME or --all") }
            if claim != nil && reviewer == nil { throw ValidationError("--claim needs --reviewer (only the holder can release one claim)") }
        }

        func run() throws {
            try reportingErrors(exitCode: 1) {
                let store = try workspace.workspace().openStore()
                let now = Timestamp.millis(try workspace.clock().now)
                let expired = try store.expireLeases(now: now)
                if let claim, let reviewer {
                    try store.release(assignment: claim, reviewer: reviewer, now: now)
                    print("released claim \(claim); \(expired) expired claims returned to the queue")
                } else {
                    let n = try store.releaseAll(reviewer: reviewer, model: model, now: now)
                    print("released \(n) claims; \(expired) expired claims returned to the queue")
                }
            }
        }
    }

    struct Stats: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Reviewer statistics: throughput, Cohen's κ on double-reviewed items, gold accuracy with a Wilson interval, agreement with existing truth.",
            discussion: "  vigil queue stats --model shelf-classifier --format json")
        @Option(help: "The model.") var model: String
        @Option(help: "Output: table or json.") var format: ListFormat = .table
        @OptionGroup var workspace: WorkspaceOptions

        func run() throws {
            let stats = try reportingErrors(exitCode: 1) { ReviewerStatistics(try workspace.workspace().openStore().finishedAssignments(model: model)) }
            switch format {
            case .json: print(try jsonText(stats))
            case .table:
                print("double-reviewed items: \(stats.doubleReviewed)  agreement: \(stats.agreement.map { String(format: "%.3f", $0) } ?? "-")  Cohen's κ: \(stats.kappa.map { String(format: "%.3f", $0) } ?? "-")")
                for r in stats.reviewers {
                    let gold = r.goldAccuracy.map { a in String(format: "%.3f", a) + (r.goldInterval.map { String(format: " [%.3f, %.3f]", $0.lower, $0.upper) } ?? "") } ?? "-"
                    print("\(r.reviewer)  labeled \(r.labeled)  skipped \(r.skipped)  flagged \(r.flagged)  per hour \(r.labelsPerHour.map { String(format: "%.1f", $0) } ?? "-")  gold \(r.goldCorrect)/\(r.goldAnswered) \(gold)"
                          + (r.truthChecked > 0 ? "  agreed with existing truth \(r.truthAgreed)/\(r.truthChecked)" : ""))
                }
            }
        }
    }
}
