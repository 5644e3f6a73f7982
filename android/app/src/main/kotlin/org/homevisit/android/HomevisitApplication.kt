package org.homevisit.android

import android.app.Application
import java.io.File
import kotlinx.coroutines.runBlocking
import org.homevisit.core.HomevisitApp
import org.homevisit.core.openApp

/** Holds the one HomevisitApp of the process (opened lazily, off the main thread by callers). */
class HomevisitApplication : Application() {
    @Volatile private var opened: HomevisitApp? = null

    val dataDir: File get() = File(noBackupFilesDir, "homevisit")

    /** The app object; opening the encrypted store is disk work: call from a background thread. */
    @Synchronized
    fun app(): HomevisitApp = opened ?: runBlocking { openApp(dataDir.path, DatabaseKey.load(this@HomevisitApplication)) }
        .also { opened = it }

    /** After a sign-out or a remote wipe: the store is gone; forget the key and the object. */
    @Synchronized
    fun forget() {
        opened?.close()
        opened = null
        DatabaseKey.forget(this)
    }

    override fun onCreate() {
        super.onCreate()
        SyncWorker.schedule(this)
    }
}
