import Foundation
import Hummingbird
import VigilAlerts
import VigilCore
import VigilJobs

/// A report page being served (``APIRoutes/page(_:_:)``): its model, its run (`nil` on the
/// model's page) and how it was opened, which decides how its links to other pages are made.
public struct ReportPage: Sendable {
    public var model: String
    public var runID: Int64?
    let grant: PageAccess.Grant

    /// The model (`{model}`, percent-decoded) and run (`{run}`, when the route has one) the path names; a 404 when `{run}` is not a run id.
    static func target(_ context: VigilRequestContext) throws -> (model: String, runID: Int64?) {
        let raw = try context.parameters.require("model")
        let model = raw.removingPercentEncoding ?? raw
        guard let run = context.parameters.get("run") else { return (model, nil) }
        guard let id = Int64(run), id > 0 else {
            throw APIError.notFound("'\(run)' is not a run id: the links of alerts end in /runs/<number>")
        }
        return (model, id)
    }

    /// The href of the page of this model's run `target` (of the model when `nil`) from this
    /// page: relative, so it works behind a proxy that serves Vigil under a path, and signed with
    /// this page's expiry when this page was opened by a signed link (a browser has no token).
    public func href(runID target: Int64?) -> String {
        let path = ReportLinks.path(model: model, runID: target)
        let relative = (runID == nil ? "" : "../../") + path.dropFirst("/models/".count)
        guard case .signedLink(let expires, let secret) = grant else { return relative }
        return relative + "?" + ReportLinks.query(path: path, expires: expires, secret: secret)
    }

    /// The HTML page of an error: what happened and what to do (`code` spans set as code).
    static func errorPage(_ error: APIError, requestID: String) -> String {
        HTMLReport.messagePage(title: "\(error.status.code) \(error.status.reasonPhrase)", message: error.message,
                               note: "Request id \(requestID) (the server log has it).")
    }
}
