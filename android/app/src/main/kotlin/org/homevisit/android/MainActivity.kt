package org.homevisit.android

import android.os.Bundle
import androidx.activity.ComponentActivity
import androidx.activity.compose.setContent
import androidx.compose.foundation.isSystemInDarkTheme
import androidx.compose.runtime.LaunchedEffect
import androidx.compose.runtime.getValue
import androidx.compose.runtime.mutableStateOf
import androidx.compose.runtime.remember
import androidx.compose.runtime.setValue
import androidx.compose.ui.platform.LocalConfiguration
import kotlinx.coroutines.Dispatchers
import kotlinx.coroutines.withContext
import org.homevisit.core.HomevisitApp
import org.homevisit.ui.HomevisitTheme
import org.homevisit.ui.stringsFor

class MainActivity : ComponentActivity() {
    override fun onCreate(savedInstanceState: Bundle?) {
        super.onCreate(savedInstanceState)
        val application = application as HomevisitApplication
        setContent {
            val locale = LocalConfiguration.current.locales[0]
            HomevisitTheme(dark = isSystemInDarkTheme(), strings = stringsFor(locale.toLanguageTag())) {
                var app by remember { mutableStateOf<HomevisitApp?>(null) }
                LaunchedEffect(Unit) { app = withContext(Dispatchers.IO) { application.app() } }
                app?.let { Navigation(it, relayUrl = BuildConfig.RELAY_URL, onWiped = { application.forget(); recreate() }) }
            }
        }
    }
}
