import Foundation
import VigilCore

/// Standard normal draws from a seeded generator (Box–Muller), for weight initialisation and
/// the scene generator's sensor noise.
enum Gaussian {
    static func sample(_ rng: inout SplitMix64) -> Double {
        let u1 = max(rng.unit(), 0x1.0p-53)
        let u2 = rng.unit()
        return (-2 * log(u1)).squareRoot() * cos(2 * Double.pi * u2)
    }
}
