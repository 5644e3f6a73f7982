package org.homevisit.presentation

import kotlinx.coroutines.CoroutineScope
import kotlinx.coroutines.flow.MutableStateFlow
import kotlinx.coroutines.flow.StateFlow
import kotlinx.coroutines.flow.asStateFlow
import kotlinx.coroutines.flow.update
import kotlinx.coroutines.launch
import org.homevisit.core.HomevisitApp
import org.homevisit.core.HomevisitException
import org.homevisit.core.Interpreter
import org.homevisit.core.Place
import org.homevisit.core.VisitPlan

data class Choice(val id: String, val name: String, val note: String? = null)

data class PlanVisitState(
    val loading: Boolean = true,
    /** The school's families, less those whose "no" stands. */
    val families: List<Choice> = emptyList(),
    /** Possible partners; `note` is "untrained" for one who may only go with a trained partner. */
    val partners: List<Choice> = emptyList(),
    val familyId: String? = null,
    val partnerId: String? = null,
    val visitNumber: Int = 1,
    val scheduledAtMs: Long = 0,
    val place: PlaceKind = PlaceKind.HOME,
    val placeDescription: String = "",
    /** The family's language when they asked for an interpreter (null: none needed). */
    val interpreterLanguage: String? = null,
    val withInterpreter: Boolean = false,
    val saving: Boolean = false,
    val plannedVisitId: String? = null,
    val problem: Problem? = null,
) {
    val canSave: Boolean
        get() = !saving && familyId != null && partnerId != null &&
            (place != PlaceKind.NEUTRAL || placeDescription.isNotBlank())
}

/**
 * Planning a visit with a partner, offline if need be: the rules (two or three adults, a trained
 * educator with an untrained one, no visit to a family that said no) are the library's.
 */
class PlanVisitViewModel(
    private val app: HomevisitApp,
    private val me: String,
    private val scope: CoroutineScope,
    familyId: String? = null,
    visitNumber: Int = 1,
    scheduledAtMs: Long = System.currentTimeMillis() + DAY_MS,
) {
    private val _state = MutableStateFlow(PlanVisitState(familyId = familyId, visitNumber = visitNumber, scheduledAtMs = scheduledAtMs))
    val state: StateFlow<PlanVisitState> = _state.asStateFlow()
    private var schoolId: String? = null

    init {
        scope.launch { load() }
    }

    private suspend fun load() {
        try {
            val roster = app.roster()
            val self = roster.educators.first { it.id == me }
            schoolId = self.schoolId
            val families = roster.families.filter { it.schoolId == self.schoolId && !app.familyDeclined(it.id) }
            val partners = roster.educators.filter { it.schoolId == self.schoolId && it.id != me }
            _state.update {
                it.copy(
                    loading = false,
                    families = families.map { f -> Choice(f.id, f.displayName) },
                    partners = partners.map { e -> Choice(e.id, e.displayName, if (e.trained) null else "untrained") },
                )
            }
            _state.value.familyId?.let { chooseFamily(it) }
        } catch (e: HomevisitException) {
            _state.update { it.copy(loading = false, problem = Problem.of(e)) }
        }
    }

    fun chooseFamily(id: String) {
        _state.update { it.copy(familyId = id, problem = null) }
        scope.launch {
            try {
                val f = app.family(id)
                val language = f.preferredLanguage.takeIf { f.interpreterNeeded }
                _state.update { it.copy(interpreterLanguage = language, withInterpreter = language != null) }
            } catch (e: HomevisitException) {
                _state.update { it.copy(problem = Problem.of(e)) }
            }
        }
    }

    fun choosePartner(id: String) = _state.update { it.copy(partnerId = id, problem = null) }
    fun chooseVisitNumber(n: Int) = _state.update { it.copy(visitNumber = n) }
    fun setTime(ms: Long) = _state.update { it.copy(scheduledAtMs = ms) }
    fun choosePlace(kind: PlaceKind) = _state.update { it.copy(place = kind) }
    fun describePlace(text: String) = _state.update { it.copy(placeDescription = text) }
    fun setInterpreter(on: Boolean) = _state.update { it.copy(withInterpreter = on && it.interpreterLanguage != null) }

    fun save() {
        val s = _state.value
        val school = schoolId
        if (!s.canSave || school == null) return
        _state.update { it.copy(saving = true, problem = null) }
        scope.launch {
            try {
                val id = app.planVisit(
                    VisitPlan(
                        visitId = "",
                        familyId = s.familyId!!,
                        schoolId = school,
                        visitNumber = s.visitNumber.toUByte(),
                        educatorIds = listOf(me, s.partnerId!!),
                        // A separate interpreter: one of the (at most three) adults.
                        interpreter = if (s.withInterpreter) s.interpreterLanguage?.let { Interpreter(it, separate = true) } else null,
                        place = when (s.place) {
                            PlaceKind.HOME -> Place.Home
                            PlaceKind.VIRTUAL -> Place.Virtual
                            PlaceKind.NEUTRAL -> Place.Neutral(s.placeDescription.trim())
                        },
                        scheduledAtMs = s.scheduledAtMs,
                        expectedEndMs = null,
                        familyAgreedAtMs = null,
                        agreementRecordedBy = null,
                    ),
                )
                _state.update { it.copy(saving = false, plannedVisitId = id) }
            } catch (e: HomevisitException) {
                _state.update { it.copy(saving = false, problem = Problem.of(e)) }
            }
        }
    }

    companion object {
        const val DAY_MS = 24 * 3600 * 1000L
    }
}
