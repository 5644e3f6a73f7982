package org.homevisit.ui

import androidx.compose.material3.MaterialTheme
import androidx.compose.material3.Typography
import androidx.compose.material3.darkColorScheme
import androidx.compose.material3.lightColorScheme
import androidx.compose.runtime.Composable
import androidx.compose.runtime.CompositionLocalProvider
import androidx.compose.runtime.staticCompositionLocalOf
import androidx.compose.ui.graphics.Color
import androidx.compose.ui.text.font.FontFamily
import java.time.ZoneId

private val Light = lightColorScheme(
    primary = Color(0xFF1F5F8B), onPrimary = Color.White,
    secondary = Color(0xFF4E6A3A), tertiary = Color(0xFF8A4B1F),
    background = Color(0xFFFBFCFE), surface = Color(0xFFFBFCFE),
    error = Color(0xFFB3261E),
)
private val Dark = darkColorScheme(
    primary = Color(0xFF9CCBF0), onPrimary = Color(0xFF00344F),
    secondary = Color(0xFFB5D29D), tertiary = Color(0xFFF2B88D),
    background = Color(0xFF111417), surface = Color(0xFF111417),
    error = Color(0xFFF2B8B5),
)

/** The time zone dates are shown in (the phone's; fixed in screenshot tests). */
val LocalZone = staticCompositionLocalOf<ZoneId> { ZoneId.systemDefault() }

/**
 * The app's theme: colours for light and dark, the UI language's words, and the time zone.
 * [fontFamily] is the platform default on phones; tests pass a fixed font so renders are stable.
 */
@Composable
fun HomevisitTheme(
    dark: Boolean,
    strings: Strings = EnglishStrings,
    zone: ZoneId = ZoneId.systemDefault(),
    fontFamily: FontFamily? = null,
    content: @Composable () -> Unit,
) {
    val base = Typography()
    val typography = if (fontFamily == null) base else base.withFont(fontFamily)
    CompositionLocalProvider(LocalStrings provides strings, LocalZone provides zone) {
        MaterialTheme(colorScheme = if (dark) Dark else Light, typography = typography, content = content)
    }
}

private fun Typography.withFont(f: FontFamily) = Typography(
    displayLarge = displayLarge.copy(fontFamily = f), displayMedium = displayMedium.copy(fontFamily = f),
    displaySmall = displaySmall.copy(fontFamily = f), headlineLarge = headlineLarge.copy(fontFamily = f),
    headlineMedium = headlineMedium.copy(fontFamily = f), headlineSmall = headlineSmall.copy(fontFamily = f),
    titleLarge = titleLarge.copy(fontFamily = f), titleMedium = titleMedium.copy(fontFamily = f),
    titleSmall = titleSmall.copy(fontFamily = f), bodyLarge = bodyLarge.copy(fontFamily = f),
    bodyMedium = bodyMedium.copy(fontFamily = f), bodySmall = bodySmall.copy(fontFamily = f),
    labelLarge = labelLarge.copy(fontFamily = f), labelMedium = labelMedium.copy(fontFamily = f),
    labelSmall = labelSmall.copy(fontFamily = f),
)
