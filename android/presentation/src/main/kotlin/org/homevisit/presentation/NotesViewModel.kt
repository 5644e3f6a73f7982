package org.homevisit.presentation

import kotlinx.coroutines.CoroutineScope
import kotlinx.coroutines.Dispatchers
import kotlinx.coroutines.flow.MutableStateFlow
import kotlinx.coroutines.flow.StateFlow
import kotlinx.coroutines.flow.asStateFlow
import kotlinx.coroutines.flow.update
import kotlinx.coroutines.launch
import kotlinx.coroutines.sync.Mutex
import kotlinx.coroutines.sync.withLock
import org.homevisit.core.HomevisitApp
import org.homevisit.core.HomevisitException
import org.homevisit.core.NoteField

/** The notes a pair writes after the visit, and the debrief they write together. */
val NOTE_FIELDS = listOf(
    NoteField.HOPES_AND_DREAMS, NoteField.INVITATION, NoteField.FAMILY_EXPECTATIONS,
    NoteField.SCHOOL_EXPECTATIONS, NoteField.COMMUNICATION_RHYTHM,
)
val DEBRIEF_FIELDS = listOf(NoteField.LEARNED, NoteField.ASSUMPTIONS_CHANGED, NoteField.USE_IN_CLASS, NoteField.NEXT_STEPS)

data class FieldState(val field: NoteField, val text: String = "", val selection: TextSelection = TextSelection(0))

data class DebriefDoneMark(val byName: String?, val atMs: Long)

data class NotesState(
    val debrief: Boolean,
    val fields: List<FieldState>,
    val loading: Boolean = true,
    /** Live mode: the partner's words arrive within moments while this screen is open. */
    val live: Boolean = false,
    /** Set when a partner's words merged into a field since the screen opened. */
    val partnerEdited: Set<NoteField> = emptySet(),
    val done: DebriefDoneMark? = null,
    val problem: Problem? = null,
) {
    fun field(f: NoteField): FieldState = fields.first { it.field == f }
}

/**
 * Notes or debrief fields of one visit, co-edited with the partner. The screen shows the user's
 * text at once (what they typed, and where their cursor is); each change is sent to the library
 * as one `splice_note` and the stored text (with whatever the partner's sync merged in) is read
 * back. Whatever arrived is shown with the user's cursor and their newer keystrokes kept: the
 * change that arrived is mapped through what the user typed meanwhile, and the cursor through it.
 */
class NotesViewModel(
    private val app: HomevisitApp,
    private val visitId: String,
    private val debrief: Boolean,
    /** This phone's educator (marks the debrief done); from `whoami`. */
    private val me: String?,
    private val scope: CoroutineScope,
    private val names: Map<String, String> = emptyMap(),
) : AutoCloseable {
    private val fields = if (debrief) DEBRIEF_FIELDS else NOTE_FIELDS
    private val _state = MutableStateFlow(NotesState(debrief, fields.map { FieldState(it) }))
    val state: StateFlow<NotesState> = _state.asStateFlow()

    /** The stored text of each field as last read: the base the next change is computed from. */
    private val known = fields.associateWith { "" }.toMutableMap()
    private val lock = Mutex()

    private val changes = app.whenDocumentsChange { docs ->
        if (docs.any { it.id == visitId }) scope.launch { fields.forEach { flush(it) }; refreshDone() }
    }

    init {
        scope.launch {
            lock.withLock {
                try {
                    val texts = fields.associateWith { app.noteText(visitId, it) }
                    known.putAll(texts)
                    _state.update { s ->
                        s.copy(loading = false, fields = s.fields.map { it.copy(text = texts.getValue(it.field), selection = TextSelection(texts.getValue(it.field).length)) })
                    }
                } catch (e: HomevisitException) {
                    _state.update { it.copy(loading = false, problem = Problem.of(e)) }
                }
            }
            refreshDone()
            // Both partners are at their debrief now: keep a request open so words arrive at once.
            if (debrief) setLive(true)
        }
    }

    /** The text field changed (typing, pasting, deleting) or only its cursor moved. */
    fun onEdit(field: NoteField, text: String, selection: TextSelection) {
        _state.update { s -> s.withField(field, text, selection.coerceIn(text.length)) }
        scope.launch { flush(field) }
    }

    /** Sends what the user typed and takes in what arrived, for one field. */
    suspend fun flush(field: NoteField) = lock.withLock {
        val shown = _state.value.field(field)
        val base = known.getValue(field)
        try {
            val stored = app.noteText(visitId, field)
            val typed = TextSplice.between(base, shown.text)
            if (typed != null) {
                val partner = TextSplice.between(base, stored)
                val onStored = partner?.let { typed.rebase(it, thisFirst = true) } ?: typed
                app.spliceNote(visitId, field, onStored.position.toUInt(), onStored.deleteCount.toUInt(), onStored.inserted)
            }
            val after = if (typed != null) app.noteText(visitId, field) else stored
            known[field] = after
            val arrived = TextSplice.between(shown.text, after) ?: return@withLock
            _state.update { s ->
                val now = s.field(field)
                // The user may have typed on while this ran: keep their newer words too.
                val arrivedNow = TextSplice.between(shown.text, now.text)?.let { arrived.rebase(it, thisFirst = false) } ?: arrived
                s.withField(field, arrivedNow.applyTo(now.text), arrivedNow.mapSelection(now.selection))
                    .copy(partnerEdited = s.partnerEdited + field, problem = null)
            }
        } catch (e: HomevisitException) {
            _state.update { it.copy(problem = Problem.of(e)) }
        }
    }

    fun setLive(live: Boolean) {
        scope.launch {
            try {
                app.setLive(live)
                _state.update { it.copy(live = live) }
            } catch (e: HomevisitException) {
                _state.update { it.copy(problem = Problem.of(e)) }
            }
        }
    }

    /** "Debrief done" (or taking it back when the pair has more to write). */
    fun setDone(done: Boolean) {
        val educator = me ?: return
        scope.launch {
            try {
                if (done) app.markDebriefDone(visitId, educator) else app.reopenDebrief(visitId)
                refreshDone()
            } catch (e: HomevisitException) {
                _state.update { it.copy(problem = Problem.of(e)) }
            }
        }
    }

    private suspend fun refreshDone() {
        if (!debrief) return
        try {
            val done = app.debriefDone(visitId)
            _state.update { it.copy(done = done?.let { d -> DebriefDoneMark(names[d.educatorId], d.atMs) }) }
        } catch (e: HomevisitException) {
            _state.update { it.copy(problem = Problem.of(e)) }
        }
    }

    override fun close() {
        changes.close()
        // Live mode costs battery: only while the debrief is open. Not in [scope], which may be
        // ending with the screen.
        if (debrief) CoroutineScope(Dispatchers.Default).launch { runCatching { app.setLive(false) } }
    }
}

private fun NotesState.withField(field: NoteField, text: String, selection: TextSelection) =
    copy(fields = fields.map { if (it.field == field) it.copy(text = text, selection = selection) else it })
