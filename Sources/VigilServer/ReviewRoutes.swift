import Foundation
import Hummingbird
import VigilCore
import VigilStore

/// The review API (scope `review`), a thin layer over the store's queue: the reviewer is the
/// token's name; `{assignment}` is the claim id that `claim` returns.
///
/// `POST /v1/review/claim` `{"model": optional}` → 200 the claim, or 204 when nothing is left;
/// `POST /v1/review/{assignment}/label` `{"label": "cat"}`, `…/skip` `{"reason": optional}`,
/// `…/flag` `{"reason": "…"}`, `…/renew`, `…/release`. A claim whose lease passed is 409.
enum ReviewRoutes: RouteGroup {
    struct ClaimBody: Decodable { var model: String? }
    /// `{"label": "can"}` for a classification item; for a detection image
    /// `{"boxes": [{"label", "bbox": [x, y, w, h], "verdict": accepted|changed|rejected|added}]}`.
    struct LabelBody: Decodable {
        struct Box: Decodable {
            var label: String
            var bbox: [Double]
            var verdict: ReviewedBox.Verdict
        }
        var label: String?
        var boxes: [Box]?

        func outcome() throws -> ReviewOutcome {
            switch (label, boxes) {
            case let (label?, nil): return .label(label)
            case let (nil, boxes?):
                return .boxes(try boxes.enumerated().map { i, b in
                    guard b.bbox.count == 4, b.bbox.allSatisfy(\.isFinite), b.bbox[2] >= 0, b.bbox[3] >= 0 else {
                        throw APIError.badRequest("boxes[\(i)].bbox must be [x, y, width, height] with a non-negative width and height")
                    }
                    return ReviewedBox(label: b.label, x: b.bbox[0], y: b.bbox[1], width: b.bbox[2], height: b.bbox[3], verdict: b.verdict)
                })
            default:
                throw APIError.badRequest("give either \"label\" (classification) or \"boxes\" (detection: [{label, bbox, verdict}]), not both or neither")
            }
        }
    }
    struct ReasonBody: Decodable { var reason: String? }

    /// A claim as the API returns it.
    struct ClaimView: Encodable {
        var assignment: Int64
        var item: Int64
        var model: String
        var predictionId: String
        var predictedClass: String?
        var score: Double?
        /// The stored prediction payload (input, scores, boxes) as JSON text.
        var payload: String?
        var reviewer: String
        var leaseUntil: String
        var gold: Bool

        init(_ c: ReviewClaim) {
            assignment = c.assignment
            item = c.item
            model = c.model
            predictionId = c.predictionID
            predictedClass = c.predictedClass
            score = c.score
            payload = c.payload
            reviewer = c.reviewer
            leaseUntil = Timestamp.format(millis: c.leaseUntil)
            gold = c.isGold
        }
    }

    struct Done: Encodable {
        var assignment: Int64
        var state: String
        /// Present when the prediction already had ground truth: whether the answer agreed,
        /// and, when not, which answer stands (``AnswerEffect``).
        var truth: Truth? = nil

        struct Truth: Encodable {
            var agrees: Bool
            var source: String
            /// The existing truth the answer disagreed with (a class name, or "boxes").
            var existing: String?
            /// Whether the existing truth stayed (`keep_truth`) or the answer replaced it.
            var kept: Bool?
        }

        init(assignment: Int64, state: String, effect: AnswerEffect = .recorded) {
            self.assignment = assignment
            self.state = state
            switch effect {
            case .recorded: truth = nil
            case .agreesWithTruth(let source): truth = Truth(agrees: true, source: source)
            case .disagrees(let existing, let source, let kept): truth = Truth(agrees: false, source: source, existing: existing, kept: kept)
            }
        }
    }

    static func register(on routes: APIRoutes) {
        routes.on(.post, "/v1/review/claim", scope: .review) { request, context, env in
            let body = try await BodyReader.json(ClaimBody.self, request, settings: env.settings)
            if let model = body.model { _ = try env.schema(model) }
            let (store, reviewer, now, lease) = (env.store, try reviewerName(context), env.nowMillis, env.settings.reviewLease * 1000)
            guard let claim = try await queue({ try store.claim(model: body.model, reviewer: reviewer, now: now, leaseMillis: lease) }) else {
                return Response(status: .noContent)
            }
            return try .json(ClaimView(claim))
        }
        routes.on(.post, "/v1/review/{assignment}/label", scope: .review) { request, context, env in
            let body = try await BodyReader.json(LabelBody.self, request, settings: env.settings)
            return try await answer(context, env, state: "labeled", outcome: try body.outcome())
        }
        routes.on(.post, "/v1/review/{assignment}/skip", scope: .review) { request, context, env in
            let body = try await BodyReader.json(ReasonBody.self, request, settings: env.settings)
            return try await answer(context, env, state: "skipped", outcome: .skip(reason: body.reason))
        }
        routes.on(.post, "/v1/review/{assignment}/flag", scope: .review) { request, context, env in
            let body = try await BodyReader.json(ReasonBody.self, request, settings: env.settings)
            guard let reason = body.reason, !reason.trimmingCharacters(in: .whitespaces).isEmpty else {
                throw APIError.badRequest("a flag needs a reason: {\"reason\": \"what is wrong with the item\"}")
            }
            return try await answer(context, env, state: "flagged", outcome: .flag(reason: reason))
        }
        routes.on(.post, "/v1/review/{assignment}/renew", scope: .review) { _, context, env in
            let (store, reviewer, now, lease) = (env.store, try reviewerName(context), env.nowMillis, env.settings.reviewLease * 1000)
            let assignment = try assignmentID(context)
            let claim = try await queue { try store.renew(assignment: assignment, reviewer: reviewer, now: now, leaseMillis: lease) }
            return try .json(ClaimView(claim))
        }
        routes.on(.post, "/v1/review/{assignment}/release", scope: .review) { _, context, env in
            let (store, reviewer, now) = (env.store, try reviewerName(context), env.nowMillis)
            let assignment = try assignmentID(context)
            try await queue { try store.release(assignment: assignment, reviewer: reviewer, now: now) }
            return try .json(Done(assignment: assignment, state: "released"))
        }
    }

    static func answer(_ context: VigilRequestContext, _ env: ServerEnvironment, state: String, outcome: ReviewOutcome) async throws -> Response {
        let (store, reviewer, now) = (env.store, try reviewerName(context), env.nowMillis)
        let assignment = try assignmentID(context)
        let effect = try await queue { try store.submit(assignment: assignment, reviewer: reviewer, outcome: outcome, now: now) }
        return try .json(Done(assignment: assignment, state: state, effect: effect))
    }

    static func reviewerName(_ context: VigilRequestContext) throws -> String {
        guard let name = context.principal?.name else { throw APIError.unauthorized }
        return name
    }

    static func assignmentID(_ context: VigilRequestContext) throws -> Int64 {
        guard let text = context.parameters.get("assignment"), let id = Int64(text), id > 0 else {
            throw APIError.notFound("the claim id in the path must be a positive integer (the `assignment` that claim returned)")
        }
        return id
    }

    /// Runs a queue operation off the request threads, mapping refusals to API errors.
    static func queue<T: Sendable>(_ body: @escaping @Sendable () throws -> T) async throws -> T {
        do {
            return try await Blocking.run(body)
        } catch let e as QueueError {
            throw APIError.from(e)
        } catch let e as StoreError {
            throw APIError(.unprocessableContent, "refused", e.description)
        }
    }
}
