import Foundation
#if canImport(FoundationXML)
import FoundationXML  // XMLParser on Linux
#endif
import Hummingbird
import HummingbirdTesting
import Testing
import VigilAlerts
import VigilCore
import VigilJobs
import VigilStore
@testable import VigilServer

/// The report pages alerts link to: who may open them (a read token or a signed link), what
/// they show, and what a refused person is told.
@Suite struct ReportPageTests {
    /// The evaluated bed, its run, and a signed link to that run's page (path and query), as an alert made at the bed's time would carry it.
    static func signed() throws -> (bed: ServerTestBed, run: EvaluationReport, link: String) {
        let bed = try ReadRoutesTests.evaluated()
        let policy = try bed.workspace.policy(for: ServerTestBed.model)
        let run = try EvaluateJob(store: bed.environment.store, clock: bed.clock).run(policy: policy, window: .last("7d"))
        let setup = try AlertSetup(receivers: [], serverURL: "http://vigil.test/", delivery: DeliverySettings(), workspaceRoot: nil)
            .signingLinks(store: bed.environment.store)
        let url = try #require(setup.links?.url(model: ServerTestBed.model, runID: run.runID, issuedAt: bed.environment.nowMillis))
        return (bed, run, String(url.dropFirst("http://vigil.test".count)))
    }

    static func body(_ r: TestResponse) -> String { String(buffer: r.body) }

    @Test func aSignedLinkOpensTheRunPageWithoutAToken() async throws {
        let (bed, run, link) = try Self.signed()
        defer { bed.remove() }
        #expect(link.hasPrefix("/models/shelf-classifier/runs/\(run.runID!)?exp=") && link.contains("&sig="))
        try await bed.test { client in
            let r = try await client.execute(uri: link, method: .get)
            #expect(r.status == .ok)
            #expect(r.headers[.contentType] == "text/html; charset=utf-8")
            let page = Self.body(r)
            #expect(page.contains(">\(run.status.rawValue.uppercased())</span>"))
            #expect(page.contains("evaluation run \(run.runID!)") && page.contains("window \(run.window.from) → \(run.window.to)"))
            let accuracy = try #require(run.metrics?.accuracy)
            #expect(page.contains("<td>accuracy</td><td class=\"num\">\(String(format: "%.3f", accuracy))</td>"))
            #expect(XMLParser(data: Data(page.utf8)).parse(), "well-formed XHTML")
            // The link to the model's page is signed with the same expiry, so it opens too.
            let href = try #require(page.components(separatedBy: "<a href=\"").dropFirst().first?.components(separatedBy: "\"").first)
            #expect(href.hasPrefix("../../shelf-classifier?exp=") && href.contains("&amp;sig="))
            let model = try await client.execute(uri: "/models/shelf-classifier?" + href.components(separatedBy: "?")[1].replacingOccurrences(of: "&amp;", with: "&"),
                                                 method: .get)
            #expect(model.status == .ok)
            #expect(Self.body(model).contains("<h1>Vigil report</h1>") && Self.body(model).contains(">\(run.status.rawValue.uppercased())</span>"))
        }
    }

    @Test func aReadTokenOpensThePagesAndOtherScopesDoNot() async throws {
        let bed = try ReadRoutesTests.evaluated()
        defer { bed.remove() }
        try await bed.test { client in
            #expect(try await client.execute(uri: "/models/shelf-classifier", method: .get, headers: bed.headers(.read)).status == .ok)
            #expect(try await client.execute(uri: "/models/shelf-classifier", method: .get, headers: bed.headers(.admin)).status == .ok)
            let ingest = try await client.execute(uri: "/models/shelf-classifier", method: .get, headers: bed.headers(.ingest))
            #expect(ingest.status == .forbidden && Self.body(ingest).contains("lacks the &#39;read&#39; scope"))
            let none = try await client.execute(uri: "/models/shelf-classifier", method: .get)
            #expect(none.status == .unauthorized)
            #expect(none.headers[.contentType] == "text/html; charset=utf-8" && none.headers[.wwwAuthenticate] != nil)
            #expect(Self.body(none).contains("signed link") && Self.body(none).contains("<code>vigil tokens create --scope read --name …</code>"))
            // Unknown model or run: 404 as a page, after the token was checked.
            let ghost = try await client.execute(uri: "/models/ghost/runs/1", method: .get, headers: bed.headers(.read))
            #expect(ghost.status == .notFound && Self.body(ghost).contains("no model &#39;ghost&#39;"))
            #expect(try await client.execute(uri: "/models/shelf-classifier/runs/999", method: .get, headers: bed.headers(.read)).status == .notFound)
            #expect(try await client.execute(uri: "/models/ghost/runs/1", method: .get).status == .unauthorized)
            // The JSON API is unchanged: bearer tokens only, JSON errors.
            let api = try await client.execute(uri: "/v1/models", method: .get)
            #expect(api.status == .unauthorized && (json(api)["error"] as? String) == "unauthorized")
        }
    }

    @Test func alteredMovedOrExpiredLinksAreRefusedWithWhatToDo() async throws {
        let (bed, run, link) = try Self.signed()
        defer { bed.remove() }
        let (path, query) = (link.components(separatedBy: "?")[0], link.components(separatedBy: "?")[1])
        let exp = try #require(Int64(query.components(separatedBy: "&")[0].dropFirst("exp=".count)))
        let sig = query.components(separatedBy: "&sig=")[1]
        let flipped = String(sig.dropLast()) + (sig.last == "0" ? "1" : "0")
        try await bed.test { client in
            for (uri, why) in [
                ("\(path)?exp=\(exp)&sig=\(flipped)", "a changed signature"),
                ("\(path)?exp=\(exp + 86_400)&sig=\(sig)", "a later expiry"),
                ("/models/shelf-classifier/runs/\(run.runID! + 1)?\(query)", "another run's page"),
                ("/models/shelf-classifier?\(query)", "the model's page"),
                ("\(path)?exp=\(exp)", "no signature"),
            ] {
                let r = try await client.execute(uri: uri, method: .get)
                #expect(r.status == .unauthorized, "\(why)")
                #expect(Self.body(r).contains("does not match this page") && Self.body(r).contains("vigil alerts link --model MODEL --run RUN"), "\(why)")
            }
        }
        // Past its expiry the same link is refused, and says when it expired.
        bed.clock.set(Timestamp.date(millis: exp * 1000))
        try await bed.test { client in
            let r = try await client.execute(uri: link, method: .get)
            #expect(r.status == .unauthorized && Self.body(r).contains("This link expired at \(Timestamp.format(millis: exp * 1000))"))
        }
    }

    @Test func linksAreValidForThirtyDaysFromTheNotification() throws {
        let secret = [UInt8](repeating: 7, count: 32)
        let links = try #require(ReportLinks(serverURL: "https://vigil.example.com/", secret: secret))
        let issued: Int64 = 1_790_000_000_000
        let url = links.url(model: "a b/c", runID: 5, issuedAt: issued)
        #expect(url.hasPrefix("https://vigil.example.com/models/a%20b%2Fc/runs/5?exp=\(issued / 1000 + 30 * 86_400)&sig="))
        let path = ReportLinks.path(model: "a b/c", runID: 5)
        let sig = ReportLinks.signature(path: path, expires: issued / 1000 + 30 * 86_400, secret: secret)
        #expect(ReportLinks.check(path: path, expires: String(issued / 1000 + 30 * 86_400), signature: sig, now: issued / 1000, secret: secret)
            == .valid(expires: issued / 1000 + 30 * 86_400))
        #expect(ReportLinks.check(path: path, expires: String(issued / 1000 + 30 * 86_400), signature: sig, now: issued / 1000 + 30 * 86_400, secret: secret)
            == .expired(at: issued / 1000 + 30 * 86_400))
        #expect(ReportLinks.check(path: path, expires: String(issued / 1000 + 30 * 86_400), signature: sig, now: 0, secret: [UInt8](repeating: 8, count: 32)) == .invalid)
        // Without a secret the link is plain; without a server URL there is none.
        #expect(ReportLinks(serverURL: "https://vigil.example.com")?.url(model: "m", runID: nil, issuedAt: issued) == "https://vigil.example.com/models/m")
        #expect(ReportLinks(serverURL: " ") == nil && ReportLinks(serverURL: nil) == nil)
    }
}
