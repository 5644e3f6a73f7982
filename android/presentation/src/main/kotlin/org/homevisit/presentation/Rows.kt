package org.homevisit.presentation

import org.homevisit.core.VisitStatus
import org.homevisit.core.VisitSummary

/** Where a visit is in its life, as screens show it. */
enum class VisitStage { PLANNED, CONFIRMED, COMPLETED, FAMILY_NOT_HOME, CANCELLED, RESCHEDULED, FAMILY_DECLINED }

internal fun VisitStatus.stage(): VisitStage = when (this) {
    VisitStatus.PLANNED -> VisitStage.PLANNED
    VisitStatus.CONFIRMED -> VisitStage.CONFIRMED
    VisitStatus.COMPLETED -> VisitStage.COMPLETED
    VisitStatus.FAMILY_NOT_HOME -> VisitStage.FAMILY_NOT_HOME
    VisitStatus.CANCELLED -> VisitStage.CANCELLED
    VisitStatus.RESCHEDULED -> VisitStage.RESCHEDULED
    VisitStatus.FAMILY_DECLINED -> VisitStage.FAMILY_DECLINED
}

internal fun VisitStage.status(): VisitStatus = VisitStatus.valueOf(name)

enum class PlaceKind { HOME, NEUTRAL, VIRTUAL }

internal fun placeKindOf(kind: String): PlaceKind = when (kind.lowercase()) {
    "home" -> PlaceKind.HOME
    "virtual" -> PlaceKind.VIRTUAL
    else -> PlaceKind.NEUTRAL
}

/** One visit in a list (Today, a family's visits). [familyName] is null until the family's record syncs. */
data class VisitRow(
    val visitId: String,
    val familyId: String,
    val familyName: String?,
    val scheduledAtMs: Long,
    val visitNumber: Int,
    val stage: VisitStage,
    val place: PlaceKind,
    val interpreter: Boolean,
    val partnerConfirmed: Boolean,
)

internal fun VisitSummary.row() = VisitRow(
    visitId = visitId,
    familyId = familyId,
    familyName = familyName,
    scheduledAtMs = scheduledAtMs,
    visitNumber = visitNumber.toInt(),
    stage = status.stage(),
    place = placeKindOf(placeKind),
    interpreter = interpreter,
    partnerConfirmed = partnerConfirmed,
)
