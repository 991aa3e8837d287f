import Foundation

/// How a camera sees the synthetic scenes: lighting, background texture, sensor noise, blur,
/// object scale and palette. `source` is the domain the detector is trained on; `shifted` is a
/// "new camera" (darker, warmer, noisier, softer, muted colours, smaller objects, another
/// texture). Any knob can be overridden in a spec such as `shifted,noise=6,blur=0`.
public struct Domain: Codable, Sendable, Equatable {
    /// Background patterns.
    public enum Texture: String, Codable, Sendable, CaseIterable {
        /// Sinusoidal stripes at a random angle and period.
        case stripes
        /// A checkerboard of random cell size.
        case checks
        /// Smooth value noise (a coarse random grid, bilinearly upsampled).
        case clouds
    }

    /// Object colours per class.
    public enum Palette: String, Codable, Sendable, CaseIterable {
        /// Saturated red, green, blue, yellow, magenta.
        case standard
        /// The standard colours blended 40% of the way towards grey.
        case muted
        /// The standard colours given to other classes (a rotation by two).
        case swapped
    }

    public var name: String
    /// Multiplies every channel after contrast (1 = unchanged).
    public var brightness: Double = 1
    /// Scales the distance from mid-grey (1 = unchanged).
    public var contrast: Double = 1
    /// The light's colour: per-channel gains R, G, B.
    public var tintRed: Double = 1
    public var tintGreen: Double = 1
    public var tintBlue: Double = 1
    /// The patterns backgrounds are drawn from (one per image, uniformly).
    public var textures: [Texture] = [.stripes, .checks]
    /// Amplitude of the background pattern, in 0–255 units.
    public var textureStrength: Double = 30
    /// Range of each background channel's base level (0–255).
    public var backgroundLow: Double = 70
    public var backgroundHigh: Double = 150
    /// Standard deviation of Gaussian sensor noise, 0–255 units.
    public var noise: Double = 3
    /// Box-blur radius in pixels (0 = sharp).
    public var blur: Int = 0
    /// Object side range in pixels at 64×64 (scaled with the image size).
    public var scaleMin: Double = 10
    public var scaleMax: Double = 20
    public var palette: Palette = .standard
    /// Objects per scene are uniform in 0...maxObjects.
    public var maxObjects: Int = 5

    public init(name: String) { self.name = name }

    /// The training domain.
    public static let source = Domain(name: "source")

    /// A "new camera": darker and warmer light, more noise, a soft lens, muted colours,
    /// smaller objects and cloudy backgrounds.
    public static let shifted: Domain = {
        var d = Domain(name: "shifted")
        d.brightness = 0.75
        d.contrast = 0.9
        d.tintRed = 1.15
        d.tintBlue = 0.75
        d.textures = [.clouds]
        d.textureStrength = 35
        d.noise = 6
        d.blur = 1
        d.scaleMin = 9
        d.scaleMax = 18
        d.palette = .muted
        return d
    }()

    /// The named presets.
    public static let presets: [String: Domain] = ["source": .source, "shifted": .shifted]

    /// A domain from a spec: a preset name, optionally followed by `,key=value` overrides
    /// (`brightness`, `contrast`, `tint=r:g:b`, `textures=stripes+checks`, `texture_strength`,
    /// `background=low:high`, `noise`, `blur`, `scale=min:max`, `palette`, `max_objects`,
    /// `name`).
    ///
    /// ```swift
    /// let d = try Domain.parse("source,noise=12,palette=muted,name=night")
    /// ```
    public static func parse(_ spec: String) throws -> Domain {
        let parts = spec.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }
        guard let first = parts.first, var d = presets[first] else {
            throw DetectorError("domain '\(spec)' must start with a preset (\(presets.keys.sorted().joined(separator: ", "))), e.g. shifted or source,noise=12")
        }
        for part in parts.dropFirst() {
            let kv = part.split(separator: "=", maxSplits: 1).map(String.init)
            guard kv.count == 2 else { throw DetectorError("domain setting '\(part)' is not key=value") }
            let (key, value) = (kv[0], kv[1])
            func number(_ s: String) throws -> Double {
                guard let v = Double(s), v.isFinite else { throw DetectorError("domain setting \(key): '\(s)' is not a number") }
                return v
            }
            func pair(_ s: String, _ n: Int) throws -> [Double] {
                let v = try s.split(separator: ":").map { try number(String($0)) }
                guard v.count == n else { throw DetectorError("domain setting \(key) needs \(n) numbers separated by ':', got '\(s)'") }
                return v
            }
            switch key {
            case "name": d.name = value
            case "brightness": d.brightness = try number(value)
            case "contrast": d.contrast = try number(value)
            case "tint": let t = try pair(value, 3); (d.tintRed, d.tintGreen, d.tintBlue) = (t[0], t[1], t[2])
            case "textures":
                d.textures = try value.split(separator: "+").map {
                    guard let t = Texture(rawValue: String($0)) else {
                        throw DetectorError("texture '\($0)' is not one of \(Texture.allCases.map(\.rawValue).joined(separator: ", "))")
                    }
                    return t
                }
            case "texture_strength": d.textureStrength = try number(value)
            case "background": let b = try pair(value, 2); (d.backgroundLow, d.backgroundHigh) = (b[0], b[1])
            case "noise": d.noise = try number(value)
            case "blur": d.blur = Int(try number(value))
            case "scale": let s = try pair(value, 2); (d.scaleMin, d.scaleMax) = (s[0], s[1])
            case "palette":
                guard let p = Palette(rawValue: value) else {
                    throw DetectorError("palette '\(value)' is not one of \(Palette.allCases.map(\.rawValue).joined(separator: ", "))")
                }
                d.palette = p
            case "max_objects": d.maxObjects = Int(try number(value))
            default:
                throw DetectorError("unknown domain setting '\(key)': use brightness, contrast, tint, textures, texture_strength, background, noise, blur, scale, palette, max_objects or name")
            }
        }
        guard d.scaleMin >= 3, d.scaleMax >= d.scaleMin, d.maxObjects >= 0, d.blur >= 0, !d.textures.isEmpty else {
            throw DetectorError("domain '\(spec)': needs 3 ≤ scale min ≤ max, max_objects ≥ 0, blur ≥ 0 and at least one texture")
        }
        return d
    }
}
