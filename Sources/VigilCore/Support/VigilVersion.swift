/// The version of this build of Vigil, as `vigil --version` prints it. Bumped by hand when a
/// release is cut; the store's schema version is separate (`vigil check` prints it).
public enum VigilVersion {
    public static let current = "0.1.0"
}
