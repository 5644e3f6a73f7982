package org.homevisit.presentation

import kotlinx.coroutines.CoroutineScope
import kotlinx.coroutines.flow.MutableStateFlow
import kotlinx.coroutines.flow.StateFlow
import kotlinx.coroutines.flow.asStateFlow
import kotlinx.coroutines.flow.update
import kotlinx.coroutines.launch
import org.homevisit.core.HomevisitApp
import org.homevisit.core.HomevisitException
import org.homevisit.core.NoteField
import org.homevisit.core.Place
import org.homevisit.core.Visit
import org.homevisit.core.VisitOutcome

data class VisitState(
    val loading: Boolean = true,
    val visitId: String = "",
    val familyId: String = "",
    val familyName: String? = null,
    val scheduledAtMs: Long = 0,
    val visitNumber: Int = 1,
    val place: PlaceKind = PlaceKind.HOME,
    val placeDescription: String? = null,
    /** The family's language (BCP 47) and whether they asked for an interpreter. */
    val familyLanguage: String? = null,
    val interpreterNeeded: Boolean = false,
    /** The interpreter's language if one is planned. */
    val interpreterLanguage: String? = null,
    val educatorNames: List<String> = emptyList(),
    val stage: VisitStage = VisitStage.PLANNED,
    val familyAgreed: Boolean = false,
    val confirmedByName: String? = null,
    /** This phone's educator may confirm: a partner recorded the outcome, it is not confirmed yet. */
    val canConfirm: Boolean = false,
    /** For a second visit: what the family shared at the first (the pair starts from it). */
    val firstVisitHopes: String? = null,
    val problem: Problem? = null,
)

/** One visit: its plan, the family's language and interpreter need, outcome, agreement, confirmation. */
class VisitViewModel(
    private val app: HomevisitApp,
    private val visitId: String,
    private val me: String?,
    private val scope: CoroutineScope,
) : AutoCloseable {
    private val _state = MutableStateFlow(VisitState(visitId = visitId))
    val state: StateFlow<VisitState> = _state.asStateFlow()
    private var visit: Visit? = null

    private val changes = app.whenDocumentsChange { docs ->
        if (docs.any { it.id == visitId || it.kind == "family" }) scope.launch { refresh() }
    }

    init {
        scope.launch { refresh() }
    }

    suspend fun refresh() {
        try {
            val v = app.visit(visitId)
            visit = v
            val names = app.roster().educators.associate { it.id to it.displayName }
            val family = runCatching { app.family(v.plan.familyId) }.getOrNull() // null until it syncs
            val o = v.outcome
            val hopes = if (v.plan.visitNumber.toInt() == 2) firstVisitHopes(v.plan.familyId) else null
            _state.value = VisitState(
                loading = false,
                visitId = visitId,
                familyId = v.plan.familyId,
                familyName = family?.displayName,
                scheduledAtMs = v.plan.scheduledAtMs,
                visitNumber = v.plan.visitNumber.toInt(),
                place = when (v.plan.place) { is Place.Home -> PlaceKind.HOME; is Place.Neutral -> PlaceKind.NEUTRAL; is Place.Virtual -> PlaceKind.VIRTUAL },
                placeDescription = (v.plan.place as? Place.Neutral)?.description,
                familyLanguage = family?.preferredLanguage,
                interpreterNeeded = family?.interpreterNeeded ?: false,
                interpreterLanguage = v.plan.interpreter?.language,
                educatorNames = v.plan.educatorIds.map { names[it] ?: "?" },
                stage = o.status.stage(),
                familyAgreed = v.plan.familyAgreedAtMs != null,
                confirmedByName = o.confirmedBy?.let { names[it] ?: "?" },
                canConfirm = me != null && me in v.plan.educatorIds && o.recordedBy != null && o.recordedBy != me &&
                    o.confirmedBy == null && o.status.stage() != VisitStage.PLANNED,
                firstVisitHopes = hopes,
            )
        } catch (e: HomevisitException) {
            _state.update { it.copy(loading = false, problem = Problem.of(e)) }
        }
    }

    private suspend fun firstVisitHopes(familyId: String): String? {
        val first = app.familyVisits(familyId).firstOrNull { it.visitNumber.toInt() == 1 } ?: return null
        return app.noteText(first.visitId, NoteField.HOPES_AND_DREAMS).takeIf { it.isNotBlank() }
    }

    /** The family said yes to the visit (voluntary: recorded with who recorded it). */
    fun recordFamilyAgreement() = act { v ->
        app.updatePlan(v.plan.copy(familyAgreedAtMs = System.currentTimeMillis(), agreementRecordedBy = me))
    }

    /** The family said no, or withdrew: their "no" sticks. */
    fun recordFamilyDecline() = act { app.recordFamilyDecline(visitId, me ?: return@act) }

    /** How it went. A completed visit's time is from the plan's start to now. */
    fun recordOutcome(stage: VisitStage) = act { v ->
        val now = System.currentTimeMillis()
        val completed = stage == VisitStage.COMPLETED
        app.recordOutcome(
            visitId,
            VisitOutcome(
                status = stage.status(),
                startedAtMs = if (completed) minOf(v.plan.scheduledAtMs, now) else null,
                endedAtMs = if (completed) now else null,
                recordedBy = me,
                confirmedBy = null,
                confirmedAtMs = null,
            ),
        )
    }

    /** The partner's confirmation: the proof that the visit happened. */
    fun confirmAsPartner() = act { app.confirmVisit(visitId, me ?: return@act) }

    private fun act(block: suspend (Visit) -> Unit) {
        scope.launch {
            val v = visit ?: return@launch
            try {
                block(v)
                refresh()
            } catch (e: HomevisitException) {
                _state.update { it.copy(problem = Problem.of(e)) }
            }
        }
    }

    override fun close() = changes.close()
}
