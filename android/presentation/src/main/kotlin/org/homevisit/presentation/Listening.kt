package org.homevisit.presentation

import org.homevisit.core.ChangedDocument
import org.homevisit.core.DocumentChangeListener
import org.homevisit.core.HomevisitApp
import org.homevisit.core.Subscription
import org.homevisit.core.SyncProgress
import org.homevisit.core.SyncProgressListener

// The library calls listeners on its own thread: the view models only launch work from them.

internal fun HomevisitApp.whenDocumentsChange(block: (List<ChangedDocument>) -> Unit): Subscription =
    subscribeDocumentChanges(object : DocumentChangeListener {
        override fun onDocumentsChanged(documents: List<ChangedDocument>) = block(documents)
    })

internal fun HomevisitApp.whenSyncFinishes(
    onProgress: (SyncProgress) -> Unit = {},
    block: (error: String?) -> Unit,
): Subscription =
    subscribeSyncProgress(object : SyncProgressListener {
        override fun onProgress(progress: SyncProgress) = onProgress(progress)
        override fun onFinished(error: String?) = block(error)
    })
