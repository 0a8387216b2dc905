// swift-tools-version: 6.0
import Foundation
import PackageDescription

/// Release links on Linux take the C++ runtime (the Swift runtime's) from libstdc++.a when the
/// GCC installation has it (Debian and Ubuntu's libstdc++-N-dev, which Swift needs): looked up
/// through `Tools/link/libstdc++.so`, a one-line linker script. Elsewhere (RHEL without
/// libstdc++-static, macOS) nothing changes. BENCHMARKS.md, "Seventh round": a third of the
/// instructions of `backtest health` were the loader binding libstdc++.so. SwiftPM caches the
/// manifest: after installing or removing libstdc++.a, `touch Package.swift`. `.ci/run` fails
/// when the release binary still loads libstdc++ although the archive is there.
let staticCxxRuntime: [String] = {
    #if os(Linux)
    let gcc = "/usr/lib/gcc"
    let triples = (try? FileManager.default.contentsOfDirectory(atPath: gcc)) ?? []
    let archives = triples.flatMap { triple in
        ((try? FileManager.default.contentsOfDirectory(atPath: "\(gcc)/\(triple)")) ?? []).map { "\(gcc)/\(triple)/\($0)/libstdc++.a" }
    }
    guard archives.contains(where: FileManager.default.fileExists(atPath:)) else { return [] }
    return ["-L", Context.packageDirectory + "/Tools/link", "-Xclang-linker", "-static-libgcc"]
    #else
    return []
    #endif
}()

let package = Package(
    name: "Backtest",
    platforms: [.macOS(.v14)],
    products: [
        .library(name: "BacktestEngine", targets: ["BacktestEngine"]),
        .library(name: "MarketData", targets: ["MarketData"]),
        .library(name: "MarketDataProviders", targets: ["MarketDataProviders"]),
        .library(name: "BacktestJSON", targets: ["BacktestJSON"]),
        .library(name: "BacktestAPI", targets: ["BacktestAPI"]),
        .library(name: "BacktestContract", targets: ["BacktestContract"]),
        .library(name: "BacktestRules", targets: ["BacktestRules"]),
        .library(name: "BacktestServer", targets: ["BacktestServer"]),
        .library(name: "BacktestClient", targets: ["BacktestClient"]),
        .library(name: "BacktestTLS", targets: ["BacktestTLS"]),
        .library(name: "BacktestOptimize", targets: ["BacktestOptimize"]),
        .library(name: "BacktestReport", targets: ["BacktestReport"]),
        .library(name: "BacktestResearch", targets: ["BacktestResearch"]),
        .executable(name: "backtest", targets: ["backtest"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
        .package(url: "https://github.com/apple/swift-log", from: "1.16.2"),
        .package(url: "https://github.com/apple/swift-nio", from: "2.101.2"),
        .package(url: "https://github.com/hummingbird-project/hummingbird", from: "2.28.1"),
        .package(url: "https://github.com/swift-server/async-http-client", from: "1.37.0"),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle", from: "2.13.0"),
        .package(url: "https://github.com/vapor/sqlite-nio", from: "1.13.2"),
        .package(url: "https://github.com/apple/swift-crypto", "3.12.3"..<"5.0.0"),
        .package(url: "https://github.com/apple/swift-metrics", from: "2.13.0"),
        .package(url: "https://github.com/swift-server/swift-prometheus", from: "2.4.1"),
        .package(url: "https://github.com/apple/swift-collections", from: "1.6.0"),
        .package(url: "https://github.com/apple/swift-nio-ssl", from: "2.37.6"),
        .package(url: "https://github.com/apple/swift-certificates", from: "1.21.1"),
        .package(url: "https://github.com/apple/swift-asn1", from: "1.7.4"),
        .package(url: "https://github.com/vapor/postgres-nio", from: "1.33.2"),
        // HTTPFields and friends, which the server's routes name (Hummingbird's own dependency).
        .package(url: "https://github.com/apple/swift-http-types", from: "1.8.0"),
    ],
    targets: [
        .target(name: "BacktestEngine"),
        // Overfitting statistics of a set of trials (PSR, DSR, PBO by CSCV, trade bootstrap; pure, no I/O).
        .target(name: "BacktestResearch", dependencies: ["CReturnSums"]),
        // The block statistics' pass over an equity curve in AVX registers, chosen at run time
        // (Swift code here is built for the baseline x86-64).
        .target(name: "CReturnSums"),
        .target(
            name: "MarketData",
            dependencies: [
                "BacktestEngine",
                // For its vendored SQLite C library (the imported store reads synchronously).
                .product(name: "SQLiteNIO", package: "sqlite-nio"),
                .product(name: "Crypto", package: "swift-crypto"),
            ],
            resources: [.copy("Resources/sample"), .copy("Resources/benchmark")]
        ),
        // Downloads from the network (Yahoo, Stooq) for `backtest data fetch`: apart from
        // MarketData so that the server does not link an HTTP client it never uses.
        .target(
            name: "MarketDataProviders",
            dependencies: [
                "MarketData", "BacktestEngine",
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOFoundationCompat", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
            ]
        ),
        // The rules language: user strategies as text, compiled to an indicator graph and a
        // per-bar decision program (pure, no I/O).
        .target(name: "BacktestRules", dependencies: ["BacktestEngine"]),
        // The fast JSON codecs: a reader to `JSONValue`, a writer straight into bytes, the wire
        // rules for doubles (pure, no dependency).
        .target(name: "BacktestJSON"),
        // The request and reply model of the HTTP API and the CLI's JSON, with `ProblemCode`.
        .target(name: "BacktestAPI", dependencies: ["BacktestEngine", "BacktestRules", "BacktestResearch", "BacktestJSON"]),
        // The HTTP contract: the OpenAPI document and the JSON Schema validator that holds
        // replies to it.
        .target(name: "BacktestContract", dependencies: ["BacktestAPI", "BacktestJSON", "BacktestEngine", "BacktestRules", "BacktestResearch"]),
        // Self-contained HTML reports: the template (Tools/report builds it; uPlot vendored,
        // MIT, licence beside it) filled with a run's data.
        .target(
            name: "BacktestReport",
            dependencies: ["BacktestEngine", "BacktestAPI", "BacktestJSON", "BacktestOptimize", "BacktestResearch"],
            exclude: [
                "Resources/vendor", "Resources/report.csp.txt", "Resources/optimize.csp.txt", "Resources/batch.csp.txt",
                "Resources/dashboard.csp.txt", "Resources/portfolio.csp.txt",
            ],
            resources: [
                .copy("Resources/report.html"), .copy("Resources/optimize.html"), .copy("Resources/batch.html"), .copy("Resources/dashboard.html"),
                .copy("Resources/portfolio.html"),
            ]
        ),
        // Parameter searches (grid, random, walk-forward) over the engine, on all cores.
        .target(name: "BacktestOptimize", dependencies: ["BacktestEngine", "BacktestAPI", "BacktestJSON", "BacktestResearch"]),
        // Private CA and server certificates (`backtest cert init`), and why a peer's
        // certificate is refused; pure, no I/O but the files it is asked to write.
        .target(
            name: "BacktestTLS",
            dependencies: [
                .product(name: "X509", package: "swift-certificates"),
                .product(name: "SwiftASN1", package: "swift-asn1"),
                .product(name: "Crypto", package: "swift-crypto"),
            ]
        ),
        .target(
            name: "BacktestServer",
            dependencies: [
                "BacktestEngine", "MarketData", "BacktestAPI", "BacktestJSON", "BacktestContract", "BacktestOptimize", "BacktestReport",
                "BacktestResearch",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "HummingbirdCore", package: "hummingbird"),
                .product(name: "HummingbirdTLS", package: "hummingbird"),
                .product(name: "HTTPTypes", package: "swift-http-types"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "UnixSignals", package: "swift-service-lifecycle"),
                .product(name: "SQLiteNIO", package: "sqlite-nio"),
                .product(name: "PostgresNIO", package: "postgres-nio"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOConcurrencyHelpers", package: "swift-nio"),
                .product(name: "DequeModule", package: "swift-collections"),
                .product(name: "Metrics", package: "swift-metrics"),
                .product(name: "Prometheus", package: "swift-prometheus"),
            ]
        ),
        .target(
            name: "BacktestClient",
            dependencies: [
                "BacktestAPI", "BacktestJSON", "BacktestTLS",
                // Private CAs (additional trust roots) and the certificate a refused server sent.
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
                .product(name: "NIOTLS", package: "swift-nio"),
                .product(name: "X509", package: "swift-certificates"),
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "NIOCore", package: "swift-nio"),
                // NIOConnectionError (connect and DNS failures), for errors in a person's words.
                .product(name: "NIOPosix", package: "swift-nio"),
            ]
        ),
        .executableTarget(
            name: "backtest",
            dependencies: [
                "BacktestEngine", "MarketData", "MarketDataProviders", "BacktestAPI", "BacktestJSON", "BacktestContract", "BacktestServer", "BacktestClient", "BacktestTLS",
                "BacktestOptimize", "BacktestReport",
                "BacktestRules", "BacktestResearch",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "Logging", package: "swift-log"),
                // The embedded server (`EmbeddedServer`) is stopped by graceful shutdown.
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ],
            linkerSettings: [
                // Start-up (BENCHMARKS.md, "Start-up"): `--static-swift-stdlib` links with
                // `-export-dynamic`, which puts ~56,000 symbols in the dynamic symbol table that
                // the loader and the runtime's backtrace set-up (dladdr) then read on every start;
                // nothing loads this executable's symbols dynamically. About 1.5 ms of each command.
                .unsafeFlags(["-Xlinker", "--no-export-dynamic"] + staticCxxRuntime, .when(platforms: [.linux], configuration: .release))
            ]
        ),
        .testTarget(name: "BacktestEngineTests", dependencies: ["BacktestEngine", "MarketData", "BacktestAPI", "BacktestJSON"], exclude: ["Fixtures"]),
        .testTarget(name: "BacktestAPITests", dependencies: ["BacktestAPI", "BacktestJSON", "BacktestContract", "BacktestEngine", "MarketData"]),
        .testTarget(name: "BacktestRulesTests", dependencies: ["BacktestRules", "BacktestEngine"]),
        .testTarget(name: "BacktestResearchTests", dependencies: ["BacktestResearch"], exclude: ["Fixtures"]),
        .testTarget(name: "BacktestReportTests", dependencies: ["BacktestReport", "BacktestEngine", "BacktestAPI", "MarketData"]),
        .testTarget(
            name: "BacktestOptimizeTests",
            dependencies: ["BacktestOptimize", "BacktestEngine", "BacktestAPI", "MarketData", "BacktestResearch"]
        ),
        .testTarget(
            name: "MarketDataTests",
            dependencies: [
                "MarketData", "MarketDataProviders", "BacktestEngine",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "NIOCore", package: "swift-nio"),
            ],
            resources: [.copy("Fixtures")]
        ),
        .testTarget(
            name: "BacktestServerTests",
            dependencies: [
                "BacktestServer", "BacktestAPI", "BacktestJSON", "BacktestContract", "MarketData", "BacktestEngine", "BacktestTLS", "BacktestOptimize", "BacktestResearch",
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "PostgresNIO", package: "postgres-nio"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "HummingbirdTesting", package: "hummingbird"),
                .product(name: "SQLiteNIO", package: "sqlite-nio"),
            ]
        ),
        .testTarget(
            name: "BacktestClientTests",
            dependencies: [
                "BacktestClient", "BacktestServer", "BacktestTLS", "BacktestAPI", "BacktestJSON",
                // Fault-injecting test servers (connection counting, resets, hangs).
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                // The real server in integration tests, stopped by graceful shutdown.
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ]
        ),
        .testTarget(
            name: "BacktestCLITests",
            dependencies: ["backtest", "BacktestResearch", "BacktestClient", .product(name: "ArgumentParser", package: "swift-argument-parser")],
            // The golden help pages and messages (CLIGoldenTests) and their generator.
            exclude: ["Golden"]
        ),
        .testTarget(
            name: "BacktestTLSTests",
            dependencies: [
                "BacktestTLS",
                .product(name: "X509", package: "swift-certificates"),
                .product(name: "SwiftASN1", package: "swift-asn1"),
                .product(name: "Crypto", package: "swift-crypto"),
            ]
        ),
    ],
    swiftLanguageModes: [.v6]
)

// Upcoming language features, on for every target: `any` spelled out for existentials, and
// members visible only from modules a file imports itself.
for target in package.targets {
    target.swiftSettings = (target.swiftSettings ?? []) + [
        .enableUpcomingFeature("ExistentialAny"), .enableUpcomingFeature("MemberImportVisibility"),
        // Start-up (BENCHMARKS.md, "Start-up"): by default a generic type's metadata is looked up
        // by its mangled name, and the runtime then checks each generic requirement (`String:
        // Hashable` for a `[String: X]`) by scanning all the binary's protocol conformance
        // records, once per requirement and process. Direct metadata accessors pass the witness
        // tables they know instead; the code is a little larger, nothing is scanned.
        .unsafeFlags(["-Xfrontend", "-disable-concrete-type-metadata-mangled-name-accessors"], .when(configuration: .release)),
    ]
}
