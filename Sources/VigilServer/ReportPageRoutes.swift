import Foundation
import Hummingbird
import VigilCore
import VigilJobs
import VigilStore

/// The pages alerts link to, at exactly the URLs they carry (``VigilAlerts/ReportLinks``):
/// `GET /models/{model}` — the HTML report `vigil report` writes, over the last 30 days — and
/// `GET /models/{model}/runs/{run}` — one run's verdict, window, metrics, findings and drift.
/// Read-only; a `read` token or a signed link opens them (``PageAccess``).
enum ReportPageRoutes: RouteGroup {
    /// How far back the model's page looks.
    static let period: Int64 = 30 * 86_400_000

    static func register(on routes: APIRoutes) {
        routes.page("/models/{model}") { page, _, _, env in
            let schema = try env.schema(page.model)
            let (reader, now) = (env.reader, env.nowMillis)
            let history = try await Blocking.run { try ReportHistory.load(store: reader, model: schema.name, since: now - period) }
            return HTMLReport.render([history], generatedAt: now)
        }
        routes.page("/models/{model}/runs/{run}") { page, _, _, env in
            let schema = try env.schema(page.model)
            let (reader, id) = (env.reader, page.runID ?? 0)
            guard let run = try await Blocking.run({ try reader.evaluationRun(model: schema.name, id: id) }) else {
                throw APIError.notFound("\(schema.name) has no evaluation run \(id); the model's page (/models/\(schema.name)) shows its recent runs")
            }
            guard let report = try? JSONDecoder().decode(EvaluationReport.self, from: Data(run.report.utf8)) else {
                throw APIError(.internalServerError, "unreadable_report",
                               "run \(id)'s stored report is in a form this build cannot read; `vigil evaluate --model \(schema.name) --format json` writes one it can")
            }
            return RunPage.render(runID: run.id, createdAt: run.createdAt, report: report, modelLink: page.href(runID: nil))
        }
    }
}
