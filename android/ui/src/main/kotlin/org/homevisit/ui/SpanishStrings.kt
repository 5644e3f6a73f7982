package org.homevisit.ui

import org.homevisit.core.NoteField
import org.homevisit.presentation.PlaceKind
import org.homevisit.presentation.Problem
import org.homevisit.presentation.Refusal
import org.homevisit.presentation.Role
import org.homevisit.presentation.SyncBadge
import org.homevisit.presentation.VisitStage
import org.homevisit.presentation.WaitingItem
import org.homevisit.presentation.WaitingKind

// A draft: to be reviewed by a native speaker before release, as the prompt packs are.
object SpanishStrings : Strings {
    override val locale: java.util.Locale = java.util.Locale.forLanguageTag("es-US")
    override val appName = "Visitas al hogar"
    override val back = "Atrás"
    override val enrollTitle = "Únase a su escuela"
    override val enrollIntro = "Su coordinador le dio un código de invitación. Escríbalo aquí para conectar este teléfono."
    override val relayAddress = "Dirección del distrito"
    override val inviteCode = "Código de invitación"
    override val enrollButton = "Conectar este teléfono"
    override val scanInvite = "Escanear el código QR de la invitación"
    override val orTypeIt = "O escriba la dirección y el código:"
    override val enrolling = "Conectando…"
    override val todayTitle = "Hoy"
    override val noVisitsToday = "No hay visitas hoy."
    override val syncNow = "Sincronizar ahora"
    override val familyNotSyncedYet = "Familia (aún sin sincronizar)"
    override fun unsynced(n: Int) = when (n) { 0 -> "Todo está enviado"; 1 -> "1 cambio sin enviar"; else -> "$n cambios sin enviar" }
    override fun visitNumber(n: Int) = if (n == 2) "Segunda visita" else "Primera visita"
    override fun badge(b: SyncBadge) = when (b) {
        SyncBadge.UP_TO_DATE -> "Al día"
        SyncBadge.SYNCING -> "Sincronizando…"
        SyncBadge.WAITING -> "Pendiente de enviar"
        SyncBadge.OFFLINE -> "Sin conexión"
        SyncBadge.NOT_ENROLLED -> "Sin conectar"
        SyncBadge.SIGNED_OUT -> "Sesión cerrada"
    }
    override val interpreterShort = "Intérprete"
    override val partnerConfirmedShort = "Confirmada por su pareja"
    override val planTitle = "Planear una visita"
    override val planButton = "Planear una visita"
    override val planSecondVisit = "Planear la segunda visita"
    override val planFamily = "Qué familia"
    override val planPartner = "Quién va con usted"
    override val untrained = "aún sin formación: va con una pareja formada"
    override val earlier = "−30 min"
    override val later = "+30 min"
    override val nextDay = "Día siguiente"
    override val placeDescription = "Qué lugar (biblioteca, parque…)"
    override val planSave = "Guardar el plan"
    override val visitTitle = "Visita"
    override val when_ = "Cuándo"
    override val where = "Dónde"
    override val who = "Quiénes van"
    override val language = "Idioma de la familia"
    override val interpreterNeeded = "La familia quiere un intérprete"
    override val interpreterNotNeeded = "No hace falta intérprete"
    override fun interpreterPlanned(language: String) = "Intérprete previsto: $language"
    override val status = "Cómo fue"
    override val familyAgreed = "La familia aceptó esta visita"
    override val familyNotAgreedYet = "La familia aún no ha aceptado"
    override val recordAgreement = "La familia dijo que sí"
    override val familySaidNo = "La familia dijo que no"
    override val outcomeQuestion = "Anote cómo fue"
    override fun stage(s: VisitStage) = when (s) {
        VisitStage.PLANNED -> "Prevista"
        VisitStage.CONFIRMED -> "Confirmada con la familia"
        VisitStage.COMPLETED -> "La visita se hizo"
        VisitStage.FAMILY_NOT_HOME -> "La familia no estaba"
        VisitStage.CANCELLED -> "Cancelada"
        VisitStage.RESCHEDULED -> "Cambiada a otro día"
        VisitStage.FAMILY_DECLINED -> "La familia dijo que no"
    }
    override fun place(p: PlaceKind) = when (p) {
        PlaceKind.HOME -> "En casa de la familia"
        PlaceKind.NEUTRAL -> "En otro lugar"
        PlaceKind.VIRTUAL -> "Videollamada"
    }
    override fun confirmedBy(name: String) = "Confirmada por $name"
    override val notConfirmedYet = "Su pareja aún no la ha confirmado"
    override val confirmAsPartner = "Yo estuve: confirmar"
    override val openStarters = "Para iniciar la conversación"
    override val openNotes = "Notas"
    override val openDebrief = "Reflexión con su pareja"
    override val openFamily = "Sobre la familia"
    override val startersTitle = "Para iniciar la conversación"
    override fun startersIn(language: String) = "En $language"
    override val draftTranslation = "Traducción en borrador: aún sin revisar por un hablante nativo"
    override val notesTitle = "Notas"
    override val debriefTitle = "Reflexión"
    override fun field(f: NoteField) = when (f) {
        NoteField.HOPES_AND_DREAMS -> "Esperanzas y sueños para su hijo o hija"
        NoteField.INVITATION -> "A qué les invitamos"
        NoteField.FAMILY_EXPECTATIONS -> "Qué espera la familia de nosotros"
        NoteField.SCHOOL_EXPECTATIONS -> "Qué pedimos a la familia"
        NoteField.COMMUNICATION_RHYTHM -> "Cómo y cada cuánto mantener el contacto"
        NoteField.LEARNED -> "Qué aprendimos"
        NoteField.ASSUMPTIONS_CHANGED -> "Qué pensábamos antes y cambió"
        NoteField.USE_IN_CLASS -> "Cómo lo usaremos en clase"
        NoteField.NEXT_STEPS -> "Próximos pasos"
    }
    override val liveOn = "En vivo: las palabras de su pareja aparecen mientras escribe"
    override val liveOff = "Las palabras de su pareja aparecen al sincronizar"
    override val partnerWordsArrived = "Su pareja añadió palabras"
    override val debriefDone = "Reflexión terminada"
    override fun debriefDoneBy(name: String) = "Reflexión terminada (la marcó $name)"
    override val markDebriefDone = "Marcar la reflexión como terminada"
    override val reopenDebrief = "Nos falta escribir algo"
    override val familyTitle = "Familia"
    override val children = "Hijos"
    override fun grade(g: String) = when (g) { "PK" -> "Prekínder"; "K" -> "Kínder"; else -> "Grado $g" }
    override val visits = "Visitas"
    override val fromFirstVisit = "Lo que la familia compartió en la primera visita"
    override val nothingSharedYet = "Aún no hay nada escrito de la primera visita."
    override val syncTitle = "Sincronización"
    override fun waiting(n: Int) = if (n == 1) "1 cambio espera para enviarse" else "$n cambios esperan para enviarse"
    override val nothingWaiting = "No hay nada pendiente. Todo lo de este teléfono está enviado."
    override val partnerSyncButton = "Intercambiar notas con el teléfono de su compañero/a (sin señal)"
    override val partnerSyncing = "Intercambiando notas con el teléfono de su compañero/a…"
    override fun partnerSynced(changed: Int) = if (changed == 0) "El teléfono de su compañero/a no tenía nada nuevo." else "Llegaron las palabras de su compañero/a."
    override fun waitingItem(item: WaitingItem): String {
        val what = when (item.kind) {
            WaitingKind.VISIT_LOG -> "El plan o el resultado de una visita"
            WaitingKind.VISIT_NOTES -> "Las notas de una visita"
            WaitingKind.FAMILY -> "El registro de una familia"
            WaitingKind.OTHER -> "Un registro de la escuela"
        }
        return when (item.refused) {
            null -> "$what: pendiente de enviar."
            Refusal.NOT_ALLOWED -> "$what: el servidor de la escuela no lo aceptó de este teléfono. Pregunte a su coordinador/a."
            Refusal.DAMAGED -> "$what: el servidor de la escuela no pudo leerlo. Sigue en este teléfono; pregunte a su coordinador/a."
            Refusal.OVER_QUOTA -> "$what: este teléfono ha usado su espacio en el servidor de la escuela. Pregunte a su coordinador/a."
        }
    }
    override val why = "Por qué"
    override val neverSynced = "Aún sin sincronizar"
    override fun lastSynced(at: String) = "Última sincronización: $at"
    override val liveModeExplained = "El modo en vivo está activo mientras escriben juntos la reflexión."
    override val settingsTitle = "Ajustes"
    override val whoIAm = "Este teléfono es de"
    override val whoReadsMyNotes = "Quién lee mis notas"
    override fun notesPolicy(shared: Boolean?) = when (shared) {
        true -> "Usted, su compañero/a y los coordinadores de su escuela: su escuela les comparte las notas de las visitas."
        false -> "Solo usted y su compañero/a. Los coordinadores ven el registro de la visita, no las notas."
        null -> "Aparece después de la primera sincronización."
    }
    override fun role(r: Role) = when (r) {
        Role.EDUCATOR -> "Educador(a)"
        Role.SCHOOL_COORDINATOR -> "Coordinador(a) de la escuela"
        Role.DISTRICT_ADMIN -> "Administrador(a) del distrito"
    }
    override val signOut = "Cerrar sesión y borrar de este teléfono"
    override val checkingWhatWouldBeLost = "Enviando lo pendiente…"
    override val signOutQuestion = "¿Cerrar sesión?"
    override fun signOutLoses(n: Int) =
        if (n == 1) "1 cambio no se ha enviado. Al cerrar sesión se borra para siempre."
        else "$n cambios no se han enviado. Al cerrar sesión se borran para siempre."
    override val signOutLosesNothing = "Todo está enviado. Al cerrar sesión se borran las visitas y notas solo de este teléfono."
    override val cancel = "Cancelar"
    override val signOutAndWipe = "Cerrar sesión y borrar"
    override val signedOutByUser = "Cerró la sesión. No queda nada de las visitas en este teléfono."
    override val signedOutRevoked = "Su distrito cerró la sesión de este teléfono. Las visitas y notas se borraron. Pida un nuevo código a su coordinador."
    override fun problem(p: Problem) = when (p) {
        Problem.OFFLINE -> "Sin conexión. Los cambios se guardan en este teléfono y se envían cuando vuelva la conexión."
        Problem.INVITE_NOT_ACCEPTED -> "Este código no funcionó. Revíselo o pida uno nuevo a su coordinador."
        Problem.NOT_AN_INVITE -> "Ese código no es una invitación de homevisit. Escanee el código que le dio su coordinador."
        Problem.REVOKED -> "Su distrito cerró la sesión de este teléfono."
        Problem.SIGNED_OUT -> "La sesión está cerrada."
        Problem.NOT_ENROLLED -> "Este teléfono aún no está conectado."
        Problem.INSECURE_ADDRESS -> "La dirección del distrito debe empezar por https://"
        Problem.BUSY_RELAY -> "El servidor está ocupado. Lo intentará de nuevo en breve."
        Problem.RELAY_REFUSED -> "El servidor lo rechazó. Lo intentará más tarde."
        Problem.NOT_ALLOWED -> "Eso no es posible para esta visita."
        Problem.NOT_FOUND -> "Esto no está en este teléfono (todavía)."
        Problem.DAMAGED -> "Los datos de este teléfono no se pueden leer. Hable con su coordinador."
        Problem.UNEXPECTED -> "Algo salió mal. Inténtelo de nuevo."
    }
    override fun languageName(tag: String) = when (tag.substringBefore('-').lowercase()) {
        "en" -> "inglés"; "es" -> "español"; "vi" -> "vietnamita"; "ar" -> "árabe"; "ja" -> "japonés"
        "zh" -> "chino"; "so" -> "somalí"; "pl" -> "polaco"; else -> tag
    }
}
