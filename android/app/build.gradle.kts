// A thin app module: the view models (../presentation) and screens (../ui) are compiled in as
// sources, the UniFFI bindings come from target/bindings/kotlin, the .so files per ABI from
// ./build-rust (cargo ndk) into src/main/jniLibs.
plugins {
    id("com.android.application") version "8.13.0"
    id("org.jetbrains.kotlin.android") version "2.4.21"
    id("org.jetbrains.kotlin.plugin.compose") version "2.4.21"
}

android {
    namespace = "org.homevisit.android"
    compileSdk = 36
    defaultConfig {
        applicationId = "org.homevisit.android"
        minSdk = 26
        targetSdk = 36
        versionCode = 1
        versionName = "0.0.0"
        // The district's relay; a build for a district sets its own.
        buildConfigField("String", "RELAY_URL", "\"https://relay.example.org\"")
    }
    buildFeatures {
        compose = true
        buildConfig = true
    }
    compileOptions {
        sourceCompatibility = JavaVersion.VERSION_17
        targetCompatibility = JavaVersion.VERSION_17
    }
    sourceSets["main"].java.srcDirs(
        "src/main/kotlin",
        "../presentation/src/main/kotlin",
        "../ui/src/main/kotlin",
        "../../target/bindings/kotlin", // bindings/generate kotlin target/bindings/kotlin
    )
    packaging {
        jniLibs.keepDebugSymbols += "**/libhomevisit_ffi.so"
    }
}

kotlin {
    jvmToolchain(17)
}

dependencies {
    implementation(platform("androidx.compose:compose-bom:2025.10.00"))
    implementation("androidx.compose.foundation:foundation")
    implementation("androidx.compose.material3:material3")
    implementation("androidx.activity:activity-compose:1.11.0")
    implementation("androidx.lifecycle:lifecycle-viewmodel-compose:2.9.4")
    implementation("androidx.lifecycle:lifecycle-runtime-compose:2.9.4")
    implementation("androidx.work:work-runtime-ktx:2.10.5")
    implementation("org.jetbrains.kotlinx:kotlinx-coroutines-android:1.11.0")
    implementation("org.jetbrains.kotlinx:kotlinx-coroutines-play-services:1.11.0")
    // UniFFI's Kotlin bindings load the library through JNA (the Android flavour: an .aar).
    implementation("net.java.dev.jna:jna:5.19.1@aar")
    // Phone to phone in the car (no signal): Google's Nearby Connections (Bluetooth / Wi-Fi Direct).
    implementation("com.google.android.gms:play-services-nearby:19.3.0")
    // Enrolling by scanning the coordinator's QR code (Google code scanner: no camera permission).
    implementation("com.google.android.gms:play-services-code-scanner:16.1.0")
}
