package org.homevisit.ui

import androidx.compose.runtime.Composable
import androidx.compose.ui.ImageComposeScene
import androidx.compose.ui.text.font.FontFamily
import androidx.compose.ui.text.font.FontWeight
import androidx.compose.ui.text.platform.Font
import androidx.compose.ui.unit.Density
import java.io.ByteArrayInputStream
import java.io.File
import java.time.ZoneOffset
import javax.imageio.ImageIO
import kotlin.math.abs
import org.jetbrains.skia.EncodedImageFormat
import org.junit.jupiter.api.Assertions.assertEquals
import org.junit.jupiter.api.Assertions.fail
import org.junit.jupiter.api.DynamicTest
import org.junit.jupiter.api.TestFactory

/**
 * Golden screenshots of every screen, phone-sized (411x891 px at density 1), light and dark,
 * English and Spanish, rendered headlessly (Skiko's software renderer, no display) with a fixed
 * font (Debian's fonts-dejavu-core) and time zone. Each render is compared with the PNG committed
 * under android/ui/screenshots; re-record with
 *   android/test -Dhomevisit.screenshots.record=true
 * A pixel counts as different when a channel differs by more than [CHANNEL_TOLERANCE]; a screen
 * fails when more than [MAX_DIFFERENT] of its pixels differ (anti-aliasing noise across machines).
 */
class ScreenshotTest {
    private val dir = File(System.getProperty("homevisit.screenshots.dir") ?: "screenshots")
    private val record = System.getProperty("homevisit.screenshots.record") == "true"
    private val actualDir = File("target/screenshots-actual")

    private val font: FontFamily by lazy {
        val dejavu = File("/usr/share/fonts/truetype/dejavu")
        val regular = File(dejavu, "DejaVuSans.ttf")
        check(regular.exists()) { "the screenshot font is missing: apt-get install fonts-dejavu-core" }
        FontFamily(Font(regular, FontWeight.Normal), Font(File(dejavu, "DejaVuSans-Bold.ttf"), FontWeight.Bold))
    }

    private data class Variant(val suffix: String, val dark: Boolean, val strings: Strings)

    private val variants = listOf(
        Variant("light-en", false, EnglishStrings),
        Variant("dark-en", true, EnglishStrings),
        Variant("light-es", false, SpanishStrings),
        Variant("dark-es", true, SpanishStrings),
    )

    @TestFactory
    fun `every screen matches its committed screenshot`(): List<DynamicTest> =
        Samples.screens.flatMap { (name, screen) ->
            variants.map { v -> DynamicTest.dynamicTest("$name-${v.suffix}") { check("$name-${v.suffix}.png", v, screen) } }
        }

    @TestFactory
    fun `no committed screenshot is left without a screen`(): List<DynamicTest> = listOf(
        DynamicTest.dynamicTest("screenshots dir") {
            val expected = Samples.screens.flatMap { (name, _) -> variants.map { "$name-${it.suffix}.png" } }.toSet()
            val committed = dir.listFiles { f -> f.name.endsWith(".png") }?.map { it.name }?.toSet() ?: emptySet()
            assertEquals(emptySet<String>(), committed - expected, "stale screenshots")
        },
    )

    private fun render(v: Variant, screen: @Composable () -> Unit): ByteArray {
        val scene = ImageComposeScene(WIDTH, HEIGHT, Density(1f)) {
            HomevisitTheme(dark = v.dark, strings = v.strings, zone = ZoneOffset.UTC, fontFamily = font) { screen() }
        }
        try {
            return scene.render(0).encodeToData(EncodedImageFormat.PNG)!!.bytes
        } finally {
            scene.close()
        }
    }

    private fun check(file: String, v: Variant, screen: @Composable () -> Unit) {
        val png = render(v, screen)
        val golden = File(dir, file)
        if (record) {
            dir.mkdirs()
            golden.writeBytes(png)
            return
        }
        if (!golden.exists()) fail<Unit>("no committed screenshot $golden: record with -Dhomevisit.screenshots.record=true")
        val actual = ImageIO.read(ByteArrayInputStream(png))
        val expected = ImageIO.read(golden)
        assertEquals(expected.width to expected.height, actual.width to actual.height, file)
        var different = 0
        for (y in 0 until actual.height) for (x in 0 until actual.width) {
            val a = actual.getRGB(x, y)
            val e = expected.getRGB(x, y)
            if ((0..24 step 8).any { s -> abs((a shr s and 0xFF) - (e shr s and 0xFF)) > CHANNEL_TOLERANCE }) different++
        }
        if (different > MAX_DIFFERENT * actual.width * actual.height) {
            actualDir.mkdirs()
            File(actualDir, file).writeBytes(png)
            fail<Unit>("$file: $different pixels differ from the committed screenshot; this render is in ${File(actualDir, file).absolutePath}")
        }
    }

    companion object {
        const val WIDTH = 411
        const val HEIGHT = 891
        const val CHANNEL_TOLERANCE = 16
        const val MAX_DIFFERENT = 0.001 // 0.1% of the pixels
    }
}
