// swift-tools-version: 6.1
import PackageDescription

/// The numeric modules are compiled with optimisation in debug builds too: the test suite trains
/// the embedded detector and runs the quickstart, which take minutes unoptimised.
let optimizedInDebug: [SwiftSetting] = [.unsafeFlags(["-O"], .when(configuration: .debug))]

let package = Package(
    name: "Vigil",
    platforms: [.macOS(.v14)],
    products: [
        .executable(name: "vigil", targets: ["vigil"]),
        .library(name: "VigilCore", targets: ["VigilCore"]),
        .library(name: "VigilStore", targets: ["VigilStore"]),
        .library(name: "VigilPostgres", targets: ["VigilPostgres"]),
        .library(name: "VigilAlerts", targets: ["VigilAlerts"]),
        .library(name: "VigilJobs", targets: ["VigilJobs"]),
        .library(name: "VigilWorkspace", targets: ["VigilWorkspace"]),
        .library(name: "VigilSampling", targets: ["VigilSampling"]),
        .library(name: "VigilImaging", targets: ["VigilImaging"]),
        .library(name: "VigilRegistry", targets: ["VigilRegistry"]),
        .library(name: "VigilDetector", targets: ["VigilDetector"]),
        .library(name: "VigilReview", targets: ["VigilReview"]),
        .library(name: "VigilServer", targets: ["VigilServer"]),
        .library(name: "VigilQuickstart", targets: ["VigilQuickstart"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser.git", from: "1.8.2"),
        .package(url: "https://github.com/groue/GRDB.swift.git", from: "7.10.0"),
        .package(url: "https://github.com/jpsim/Yams.git", from: "6.2.2"),
        .package(url: "https://github.com/hummingbird-project/swift-mustache.git", from: "2.1.1"),
        // `vigil serve`: HTTP (without swift-configuration), Prometheus text, graceful shutdown.
        .package(url: "https://github.com/hummingbird-project/hummingbird.git", from: "2.28.1", traits: ["FullFoundation"]),
        .package(url: "https://github.com/swift-server/swift-prometheus.git", from: "2.4.1"),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle.git", from: "2.13.0"),
        .package(url: "https://github.com/apple/swift-log.git", from: "1.16.2"),
        // The PostgreSQL store (issue 11): only VigilPostgres and what depends on it pay for it.
        .package(url: "https://github.com/vapor/postgres-nio.git", from: "1.33.2"),
    ],
    targets: [
        // OpenBLAS (CBLAS) for the kernel matrices of the embedding-drift tests.
        .systemLibrary(name: "COpenBLAS", pkgConfig: "openblas", providers: [.apt(["libopenblas-dev"])]),
        // libpng (simplified API) for reading and writing PNG images.
        .systemLibrary(name: "CPNG", pkgConfig: "libpng", providers: [.apt(["libpng-dev"])]),
        // libjpeg (libjpeg-dev) behind a C shim whose error manager longjmps instead of exit().
        .target(name: "CJPEGShim", linkerSettings: [.linkedLibrary("jpeg")]),
        // zlib (inflate) for gzip request bodies.
        .systemLibrary(name: "CZlib", pkgConfig: "zlib", providers: [.apt(["zlib1g-dev"])]),
        // Images: an RGB raster and its codecs.
        .target(name: "VigilImaging", dependencies: ["CPNG", "CJPEGShim"]),
        // The embedded detector: synthetic scenes, a small CNN on OpenBLAS, safetensors artifacts.
        .target(name: "VigilDetector", dependencies: ["VigilCore", "VigilImaging", "COpenBLAS"], swiftSettings: optimizedInDebug),
        // Pure values, parsing and statistics: no I/O, no clock reads.
        .target(name: "VigilCore", dependencies: ["COpenBLAS"], swiftSettings: optimizedInDebug),
        // The Store protocol and its SQLite backend.
        .target(
            name: "VigilStore",
            dependencies: [
                "VigilCore",
                .product(name: "GRDB", package: "GRDB.swift"),
                .product(name: "GRDBSQLite", package: "GRDB.swift"),
            ]
        ),
        // The Store protocol on PostgreSQL (postgres-nio), for several instances sharing one database.
        .target(
            name: "VigilPostgres",
            dependencies: [
                "VigilCore", "VigilStore",
                .product(name: "PostgresNIO", package: "postgres-nio"),
            ]
        ),
        // Sampling strategies and the review queue's rules.
        .target(name: "VigilSampling", dependencies: ["VigilCore", "VigilStore"]),
        // Findings to alerts, the outbox, templates, signing and webhook delivery (URLSession).
        .target(
            name: "VigilAlerts",
            dependencies: [
                "VigilCore", "VigilStore",
                .product(name: "Mustache", package: "swift-mustache"),
            ]
        ),
        // Model versions, aliases, the gate, artifacts; the embedded and MLflow backends (URLSession).
        .target(name: "VigilRegistry", dependencies: ["VigilCore", "VigilStore", "VigilAlerts"]),
        // Workspace, ingest and evaluation jobs, report rendering.
        .target(
            name: "VigilJobs",
            dependencies: [
                "VigilCore", "VigilStore", "VigilAlerts", "VigilSampling", "VigilRegistry", "VigilDetector", "VigilImaging",
                .product(name: "Yams", package: "Yams"),
            ]
        ),
        // The composition root: the one module that knows the store backends and opens the one
        // `vigil.yaml` names (jobs take `any Store`).
        .target(name: "VigilWorkspace", dependencies: ["VigilCore", "VigilStore", "VigilPostgres", "VigilJobs"]),
        // `vigil quickstart`: the whole loop on simulated time (camera, simulated reviewer, timeline).
        .target(
            name: "VigilQuickstart",
            dependencies: ["VigilCore", "VigilStore", "VigilAlerts", "VigilJobs", "VigilWorkspace", "VigilRegistry", "VigilDetector", "VigilImaging"]
        ),
        // `vigil review`: the reviewers' terminal UI (terminal control, keys, screen, images, session).
        .target(name: "VigilReview", dependencies: ["VigilCore", "VigilStore", "VigilImaging"]),
        // `vigil serve`: the HTTP API, bearer-token auth, Prometheus metrics, scheduler and deliverer.
        .target(
            name: "VigilServer",
            dependencies: [
                "VigilCore", "VigilStore", "VigilJobs", "VigilWorkspace", "VigilAlerts", "VigilSampling", "VigilRegistry", "CZlib",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "Prometheus", package: "swift-prometheus"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Yams", package: "Yams"),
            ]
        ),
        // The command line: thin, parses arguments and calls the modules.
        .executableTarget(
            name: "vigil",
            dependencies: [
                "VigilCore", "VigilStore", "VigilAlerts", "VigilJobs", "VigilWorkspace", "VigilSampling", "VigilRegistry", "VigilDetector", "VigilReview", "VigilServer", "VigilQuickstart", "COpenBLAS",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Logging", package: "swift-log"),
            ]
        ),
        .testTarget(name: "VigilCoreTests", dependencies: ["VigilCore"], resources: [.copy("Fixtures")]),
        .testTarget(name: "VigilImagingTests", dependencies: ["VigilImaging"]),
        .testTarget(name: "VigilDetectorTests", dependencies: ["VigilDetector", "VigilCore", "VigilImaging", "VigilJobs", "VigilWorkspace", "VigilStore", "vigil"]),
        .testTarget(name: "VigilReviewTests", dependencies: ["VigilCore", "VigilStore", "VigilImaging", "VigilReview", "vigil", .product(name: "GRDB", package: "GRDB.swift")]),
        .testTarget(name: "VigilStoreTests", dependencies: ["VigilCore", "VigilStore", "VigilPostgres", .product(name: "GRDB", package: "GRDB.swift")]),
        .testTarget(name: "VigilSamplingTests", dependencies: ["VigilCore", "VigilStore", "VigilPostgres", "VigilSampling", .product(name: "GRDB", package: "GRDB.swift")]),
        .testTarget(
            name: "VigilAlertsTests",
            dependencies: ["VigilCore", "VigilStore", "VigilAlerts", "VigilJobs", "VigilWorkspace", "vigil"]
        ),
        .testTarget(
            name: "VigilRegistryTests",
            dependencies: ["VigilCore", "VigilStore", "VigilRegistry", "VigilJobs", "VigilWorkspace", "VigilDetector", "VigilImaging", "vigil"]
        ),
        .testTarget(
            name: "VigilJobsTests",
            dependencies: ["VigilCore", "VigilStore", "VigilAlerts", "VigilJobs", "VigilWorkspace", "VigilSampling", "VigilQuickstart", "vigil", .product(name: "GRDB", package: "GRDB.swift")]
        ),
        .testTarget(name: "VigilQuickstartTests", dependencies: ["VigilCore", "VigilStore", "VigilJobs", "VigilWorkspace", "VigilRegistry", "VigilQuickstart"]),
        .testTarget(
            name: "VigilServerTests",
            dependencies: [
                "VigilCore", "VigilStore", "VigilPostgres", "VigilAlerts", "VigilJobs", "VigilWorkspace", "VigilRegistry", "VigilServer", "VigilQuickstart", "vigil",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "HummingbirdTesting", package: "hummingbird"),
                .product(name: "Yams", package: "Yams"),
            ]
        ),
    ],
    swiftLanguageModes: [.v6]
)
