// swift-tools-version:6.0
// The Swift binding of homevisit, as the iOS shell uses it, and its XCTest suite.
//
// Sources/ holds copies of what `bindings/generate swift` writes (build output, git-ignored):
//   Sources/HomevisitCore/HomevisitCore.swift        the generated Swift API
//   Sources/HomevisitCoreFFI/HomevisitCoreFFI.h       the C header of libhomevisit_ffi
//   Sources/HomevisitCoreFFI/module.modulemap         uniffi's HomevisitCoreFFI.modulemap, renamed
// `bindings/swift/test` puts them there, then runs `swift test -Xlinker -L<target/debug> ...`.
import PackageDescription

let package = Package(
    name: "HomevisitCore",
    products: [
        .library(name: "HomevisitCore", targets: ["HomevisitCore"]),
    ],
    targets: [
        // The C side of the FFI: a system library, so no -fmodule-map-file flag is needed (that
        // flag as unsafeFlags misses the test-discovery target SwiftPM generates on Linux).
        .systemLibrary(name: "HomevisitCoreFFI", path: "Sources/HomevisitCoreFFI"),
        .target(
            name: "HomevisitCore",
            dependencies: ["HomevisitCoreFFI"],
            path: "Sources/HomevisitCore",
            linkerSettings: [.linkedLibrary("homevisit_ffi")]
        ),
        .testTarget(
            name: "HomevisitCoreTests",
            dependencies: ["HomevisitCore"],
            path: "Tests/HomevisitCoreTests"
        ),
    ]
)
