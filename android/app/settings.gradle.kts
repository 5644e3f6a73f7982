// The Android app (Gradle + AGP): open android/app in Android Studio. It is not built on the
// project's CI machines (no Google Maven, no Android SDK/NDK there); see android/README.md.
pluginManagement {
    repositories {
        google()
        mavenCentral()
        gradlePluginPortal()
    }
}
dependencyResolutionManagement {
    repositoriesMode.set(RepositoriesMode.FAIL_ON_PROJECT_REPOS)
    repositories {
        google()
        mavenCentral()
    }
}
rootProject.name = "homevisit-android"
