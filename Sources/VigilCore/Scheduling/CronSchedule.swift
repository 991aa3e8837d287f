import Foundation

/// A five-field cron expression (`minute hour day-of-month month day-of-week`) and its fire
/// times in an IANA time zone.
///
/// Fields take `*`, lists `a,b`, ranges `a-b`, steps `*/n` and `a-b/n` (`a/n` means `a`
/// to the field's maximum), month names `jan`…`dec` and day names `sun`…`sat`; 0 and 7 are
/// both Sunday. `@yearly` (`@annually`), `@monthly`, `@weekly`, `@daily` (`@midnight`) and
/// `@hourly` stand for their usual expansions. When both day fields are restricted (neither
/// starts with `*`), a day matches when *either* matches, as in Vixie cron.
///
/// Fire times are wall-clock times in the schedule's time zone: a wall-clock time skipped by
/// a daylight-saving change never fires, and one that happens twice fires once, at its first
/// occurrence.
///
/// ```swift
/// let cron = try CronSchedule("0 6 * * mon-fri")
/// let next = cron.nextFire(after: now, in: TimeZone(identifier: "Europe/Berlin")!)
/// ```
public struct CronSchedule: Sendable, Equatable, CustomStringConvertible {
    /// The expression as written.
    public let expression: String
    let minutes: UInt64      // bits 0…59
    let hours: UInt32        // bits 0…23
    let daysOfMonth: UInt32  // bits 1…31
    let months: UInt16       // bits 1…12
    let daysOfWeek: UInt8    // bits 0…6, Sunday = 0
    let dayOfMonthRestricted: Bool
    let dayOfWeekRestricted: Bool

    public var description: String { expression }

    static let macros: [String: String] = [
        "@yearly": "0 0 1 1 *", "@annually": "0 0 1 1 *", "@monthly": "0 0 1 * *",
        "@weekly": "0 0 * * 0", "@daily": "0 0 * * *", "@midnight": "0 0 * * *", "@hourly": "0 * * * *",
    ]
    static let monthNames = ["jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"]
    static let dayNames = ["sun", "mon", "tue", "wed", "thu", "fri", "sat"]

    /// Parses `expression`; the error says which field is wrong and why.
    public init(_ expression: String) throws(CronError) {
        self.expression = expression
        let trimmed = expression.trimmingCharacters(in: .whitespaces).lowercased()
        let text: String
        if trimmed.hasPrefix("@") {
            guard let expanded = Self.macros[trimmed] else {
                throw CronError(expression, "unknown shorthand '\(trimmed)' (known: @yearly, @monthly, @weekly, @daily, @hourly)")
            }
            text = expanded
        } else {
            text = trimmed
        }
        let fields = text.split(whereSeparator: { $0 == " " || $0 == "\t" }).map(String.init)
        guard fields.count == 5 else {
            throw CronError(expression, "expected 5 fields (minute hour day-of-month month day-of-week), found \(fields.count)")
        }
        minutes = try UInt64(Self.field(fields[0], name: "minute", range: 0...59, names: [], expression: expression))
        hours = try UInt32(Self.field(fields[1], name: "hour", range: 0...23, names: [], expression: expression))
        daysOfMonth = try UInt32(Self.field(fields[2], name: "day-of-month", range: 1...31, names: [], expression: expression))
        months = try UInt16(Self.field(fields[3], name: "month", range: 1...12, names: Self.monthNames, nameBase: 1, expression: expression))
        var dow = try Self.field(fields[4], name: "day-of-week", range: 0...7, names: Self.dayNames, expression: expression)
        if dow & (1 << 7) != 0 { dow = (dow & ~(1 << 7)) | 1 }
        daysOfWeek = UInt8(dow)
        dayOfMonthRestricted = !fields[2].hasPrefix("*")
        dayOfWeekRestricted = !fields[4].hasPrefix("*")
    }

    /// The bit set of one field.
    static func field(_ text: String, name: String, range: ClosedRange<Int>, names: [String], nameBase: Int = 0,
                      expression: String) throws(CronError) -> UInt64 {
        func value(_ s: Substring) throws(CronError) -> Int {
            if let v = Int(s) {
                guard range.contains(v) else { throw CronError(expression, "\(name): \(v) is outside \(range.lowerBound)-\(range.upperBound)") }
                return v
            }
            if let i = names.firstIndex(of: String(s)) { return i + nameBase }
            throw CronError(expression, "\(name): '\(s)' is not a number\(names.isEmpty ? "" : " or a name such as \(names[0])")")
        }
        var bits: UInt64 = 0
        for item in text.split(separator: ",", omittingEmptySubsequences: false) {
            guard !item.isEmpty else { throw CronError(expression, "\(name): empty list item in '\(text)'") }
            let parts = item.split(separator: "/", omittingEmptySubsequences: false)
            guard parts.count <= 2 else { throw CronError(expression, "\(name): '\(item)' has more than one '/'") }
            var step = 1
            if parts.count == 2 {
                guard let s = Int(parts[1]), s > 0 else { throw CronError(expression, "\(name): step '\(parts[1])' must be a positive number") }
                step = s
            }
            let lo: Int, hi: Int
            if parts[0] == "*" {
                (lo, hi) = (range.lowerBound, range.upperBound)
            } else {
                let bounds = parts[0].split(separator: "-", omittingEmptySubsequences: false)
                switch bounds.count {
                case 1:
                    lo = try value(bounds[0])
                    hi = parts.count == 2 ? range.upperBound : lo
                case 2:
                    lo = try value(bounds[0])
                    hi = try value(bounds[1])
                    guard lo <= hi else { throw CronError(expression, "\(name): range '\(parts[0])' runs backwards") }
                default:
                    throw CronError(expression, "\(name): '\(parts[0])' is not a value or a range a-b")
                }
            }
            for v in stride(from: lo, through: hi, by: step) { bits |= 1 << UInt64(v) }
        }
        return bits
    }

    // MARK: Matching wall-clock days

    /// True when the civil day (days since 1970-01-01) is a firing day.
    func matches(day: Int) -> Bool {
        let (_, month, dom) = CivilDate.ymd(day)
        guard months & (1 << UInt16(month)) != 0 else { return false }
        let dow = ((day + 4) % 7 + 7) % 7  // 1970-01-01 was a Thursday
        let domOK = daysOfMonth & (1 << UInt32(dom)) != 0
        let dowOK = daysOfWeek & (1 << UInt8(dow)) != 0
        if dayOfMonthRestricted && dayOfWeekRestricted { return domOK || dowOK }
        return domOK && dowOK
    }

    /// The instant a wall-clock time (seconds since 1970 as if UTC) happens first in `zone`,
    /// or `nil` when a daylight-saving change skips it.
    static func firstInstant(wall: Int64, in zone: TimeZone) -> Int64? {
        let around = [wall - 86_400, wall + 86_400].map { Int64(zone.secondsFromGMT(for: Date(timeIntervalSince1970: Double($0)))) }
        var best: Int64?
        for offset in Set(around) {
            let t = wall - offset
            if Int64(zone.secondsFromGMT(for: Date(timeIntervalSince1970: Double(t)))) == offset {
                best = min(best ?? t, t)
            }
        }
        return best
    }

    /// How far the searches look (covers `0 0 29 2 *` across a century year).
    static let searchDays = 366 * 9

    /// The first fire time strictly after `date`, or `nil` when there is none within nine years.
    public func nextFire(after date: Date, in zone: TimeZone) -> Date? {
        let after = Int64(date.timeIntervalSince1970.rounded(.down))
        // First occurrences grow with wall time, so scan wall times upwards from a little
        // before `after`'s wall time and keep the first whose instant lies after it.
        let startWall = after + Int64(zone.secondsFromGMT(for: date)) - 3 * 3600
        let firstDay = Int(CivilDate.floorDiv(startWall, 86_400))
        for day in firstDay..<(firstDay + Self.searchDays) where matches(day: day) {
            for h in 0..<24 where hours & (1 << UInt32(h)) != 0 {
                for m in 0..<60 where minutes & (1 << UInt64(m)) != 0 {
                    let wall = Int64(day) * 86_400 + Int64(h) * 3600 + Int64(m) * 60
                    if wall < startWall { continue }
                    if let t = Self.firstInstant(wall: wall, in: zone), t > after { return Date(timeIntervalSince1970: Double(t)) }
                }
            }
        }
        return nil
    }

    /// The latest fire time at or before `date`, or `nil` when there is none within nine years.
    public func latestFire(atOrBefore date: Date, in zone: TimeZone) -> Date? {
        let limit = Int64(date.timeIntervalSince1970.rounded(.down))
        let startWall = limit + Int64(zone.secondsFromGMT(for: date)) + 3 * 3600
        let lastDay = Int(CivilDate.floorDiv(startWall, 86_400))
        for day in stride(from: lastDay, to: lastDay - Self.searchDays, by: -1) where matches(day: day) {
            for h in stride(from: 23, through: 0, by: -1) where hours & (1 << UInt32(h)) != 0 {
                for m in stride(from: 59, through: 0, by: -1) where minutes & (1 << UInt64(m)) != 0 {
                    let wall = Int64(day) * 86_400 + Int64(h) * 3600 + Int64(m) * 60
                    if wall > startWall { continue }
                    if let t = Self.firstInstant(wall: wall, in: zone), t <= limit { return Date(timeIntervalSince1970: Double(t)) }
                }
            }
        }
        return nil
    }
}

/// A cron expression that cannot be parsed: the expression and what is wrong with it.
public struct CronError: Error, Sendable, Equatable, CustomStringConvertible {
    public let expression: String
    public let problem: String
    public init(_ expression: String, _ problem: String) {
        self.expression = expression
        self.problem = problem
    }
    public var description: String { "cron '\(expression)': \(problem)" }
}

/// Proleptic Gregorian civil dates as days since 1970-01-01 (Howard Hinnant's algorithms).
enum CivilDate {
    static func floorDiv(_ a: Int64, _ b: Int64) -> Int64 { a >= 0 ? a / b : -((-a + b - 1) / b) }

    /// (year, month 1…12, day 1…31) of `days` since 1970-01-01.
    static func ymd(_ days: Int) -> (Int, Int, Int) {
        let z = days + 719_468
        let era = (z >= 0 ? z : z - 146_096) / 146_097
        let doe = z - era * 146_097
        let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365
        let doy = doe - (365 * yoe + yoe / 4 - yoe / 100)
        let mp = (5 * doy + 2) / 153
        let d = doy - (153 * mp + 2) / 5 + 1
        let m = mp < 10 ? mp + 3 : mp - 9
        return (yoe + era * 400 + (m <= 2 ? 1 : 0), m, d)
    }
}
