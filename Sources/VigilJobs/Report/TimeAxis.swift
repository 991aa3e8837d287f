import Foundation
import VigilCore

/// The ticks of a chart's time axis: whole UTC days (whole hours for spans under two days) at
/// the smallest step that leaves every label its width, so labels never overlap and never
/// need rotating, however long the period and however narrow the chart.
enum TimeAxis {
    /// A tick: where, and what it says.
    struct Tick: Equatable {
        var time: Int64
        var label: String
    }

    static let hour: Int64 = 3_600_000
    static let day: Int64 = 86_400_000
    /// Label width in pixels per character at the charts' 11 px font, and the gap kept between labels.
    static let characterWidth = 6.4, gap = 16.0

    /// Ticks for times `from…to` drawn over `width` pixels.
    static func ticks(from: Int64, to: Int64, width: Double) -> [Tick] {
        guard to > from else { return [Tick(time: from, label: dayLabel(from))] }
        let span = to - from
        let byHours = span < 2 * day
        let labelWidth = Double(byHours ? 11 : 10) * characterWidth + gap
        let room = max(1, Int(width / labelWidth))
        let steps: [Int64] = byHours ? [1, 2, 3, 6, 12, 24].map { $0 * hour } : [1, 2, 3, 7, 14, 28, 56, 91, 182, 364].map { $0 * day }
        let step = steps.first { span / $0 + 1 <= Int64(room) } ?? steps.last!
        // The first whole step at or after `from` (days and hours are whole in UTC).
        var t = (from + step - 1) / step * step
        if !byHours, step > day { t = (from + day - 1) / day * day }
        var out: [Tick] = []
        while t <= to {
            out.append(Tick(time: t, label: byHours ? hourLabel(t) : dayLabel(t)))
            t += step
        }
        return out.isEmpty ? [Tick(time: from, label: byHours ? hourLabel(from) : dayLabel(from))] : out
    }

    /// `2026-10-14`.
    static func dayLabel(_ t: Int64) -> String { String(Timestamp.format(millis: t).prefix(10)) }

    /// `10-14 06:00`.
    static func hourLabel(_ t: Int64) -> String {
        let s = Timestamp.format(millis: t)
        return String(s.dropFirst(5).prefix(5)) + " " + String(s.dropFirst(11).prefix(5))
    }
}
