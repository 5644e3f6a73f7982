package org.homevisit.android

import android.content.Context
import androidx.work.Constraints
import androidx.work.CoroutineWorker
import androidx.work.ExistingPeriodicWorkPolicy
import androidx.work.NetworkType
import androidx.work.PeriodicWorkRequestBuilder
import androidx.work.WorkManager
import androidx.work.WorkerParameters
import java.util.concurrent.TimeUnit
import org.homevisit.core.HomevisitException

/**
 * Sync when connectivity returns, even with the app closed: WorkManager runs this only with a
 * network, and retries with backoff. (While the app is open the library's own agent syncs too.)
 */
class SyncWorker(context: Context, params: WorkerParameters) : CoroutineWorker(context, params) {
    override suspend fun doWork(): Result {
        val app = (applicationContext as HomevisitApplication).app()
        return try {
            if (!app.syncStatus().enrolled) return Result.success()
            app.syncNow()
            Result.success()
        } catch (e: HomevisitException.Revoked) {
            (applicationContext as HomevisitApplication).forget() // the library wiped the store
            Result.success()
        } catch (e: HomevisitException.Offline) {
            Result.retry()
        } catch (e: HomevisitException) {
            Result.retry()
        }
    }

    companion object {
        fun schedule(context: Context) {
            val request = PeriodicWorkRequestBuilder<SyncWorker>(15, TimeUnit.MINUTES)
                .setConstraints(Constraints.Builder().setRequiredNetworkType(NetworkType.CONNECTED).build())
                .build()
            WorkManager.getInstance(context).enqueueUniquePeriodicWork("homevisit-sync", ExistingPeriodicWorkPolicy.KEEP, request)
        }
    }
}
