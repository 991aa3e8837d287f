import Foundation
import Testing
import VigilCore

/// Cron expressions against next/latest fire times computed independently by
/// `scripts/make_cron_fixture.py` (zoneinfo + a scan over every minute), DST days included.
struct CronScheduleTests {
    struct Case: Decodable, Sendable, CustomStringConvertible {
        var cron: String
        var zone: String
        var at: String
        var next: String?
        var latest: String?
        var description: String { "\(cron) in \(zone) at \(at)" }
    }

    static let cases: [Case] = {
        guard let url = Bundle.module.url(forResource: "cron_cases", withExtension: "json", subdirectory: "Fixtures"),
              let data = try? Data(contentsOf: url) else { return [] }
        return (try? JSONDecoder().decode([Case].self, from: data)) ?? []
    }()

    static func date(_ text: String) -> Date { Timestamp.date(millis: Timestamp.parseMillis(text)!) }

    @Test func fixtureIsThere() { #expect(Self.cases.count >= 30) }

    @Test(arguments: cases) func fireTimesMatchTheBruteForceScan(_ c: Case) throws {
        let cron = try CronSchedule(c.cron)
        let zone = try #require(TimeZone(identifier: c.zone))
        let at = Self.date(c.at)
        if let next = c.next {
            #expect(cron.nextFire(after: at, in: zone).map { Timestamp.format(millis: Timestamp.millis($0)) } == Timestamp.format(millis: Timestamp.parseMillis(next)!))
        }
        if let latest = c.latest {
            #expect(cron.latestFire(atOrBefore: at, in: zone).map { Timestamp.format(millis: Timestamp.millis($0)) } == Timestamp.format(millis: Timestamp.parseMillis(latest)!))
        }
    }

    @Test func leapDayIsFoundYearsAway() throws {
        let cron = try CronSchedule("0 0 29 2 *")
        let utc = TimeZone(identifier: "UTC")!
        #expect(cron.nextFire(after: Self.date("2028-03-01T00:00:00Z"), in: utc) == Self.date("2032-02-29T00:00:00Z"))
        #expect(cron.latestFire(atOrBefore: Self.date("2027-01-01T00:00:00Z"), in: utc) == Self.date("2024-02-29T00:00:00Z"))
    }

    @Test func skippedWallTimeNeverFiresAndRepeatedFiresOnce() throws {
        let berlin = TimeZone(identifier: "Europe/Berlin")!
        let cron = try CronSchedule("30 2 * * *")
        // Every fire over March–October 2026: 02:30 is missing on 29 March, single on 25 October.
        var t = Self.date("2026-03-01T00:00:00Z")
        var fires: [Date] = []
        while let n = cron.nextFire(after: t, in: berlin), n < Self.date("2026-11-01T00:00:00Z") { fires.append(n); t = n }
        let days = Set(fires.map { Timestamp.format(millis: Timestamp.millis($0)).prefix(10) })
        #expect(fires.count == days.count)
        #expect(!days.contains("2026-03-29"))
        #expect(fires.count == 245 - 1)  // 1 March … 31 October is 245 days, minus the skipped one
        #expect(fires.contains(Self.date("2026-10-25T00:30:00Z")))
        #expect(!fires.contains(Self.date("2026-10-25T01:30:00Z")))
    }

    @Test(arguments: [
        ("* * * *", "expected 5 fields"),
        ("60 * * * *", "minute: 60 is outside 0-59"),
        ("0 24 * * *", "hour: 24"),
        ("0 0 0 * *", "day-of-month: 0"),
        ("0 0 * 13 *", "month: 13"),
        ("0 0 * * 8", "day-of-week: 8"),
        ("0 0 * foo *", "month: 'foo' is not a number or a name"),
        ("*/0 * * * *", "step '0'"),
        ("5-1 * * * *", "runs backwards"),
        ("@reboot", "unknown shorthand"),
        ("1,,2 * * * *", "empty list item"),
    ])
    func badExpressionsSayWhatIsWrong(_ text: String, _ expected: String) {
        #expect {
            _ = try CronSchedule(text)
        } throws: { error in
            "\(error)".contains(expected) && "\(error)".contains(text)
        }
    }

    @Test func namesAndSundaySeven() throws {
        let utc = TimeZone(identifier: "UTC")!
        let at = Self.date("2026-11-25T00:00:00Z")
        let fires = try ["0 0 * * 0", "0 0 * * 7", "0 0 * * SUN", "0 0 * * sun-sun"].map { try CronSchedule($0).nextFire(after: at, in: utc) }
        #expect(Set(fires).count == 1)
        #expect(fires[0] == Self.date("2026-11-29T00:00:00Z"))
        #expect(try CronSchedule("0 0 1 JAN *").nextFire(after: at, in: utc) == Self.date("2027-01-01T00:00:00Z"))
    }
}
