package org.homevisit.android

import androidx.activity.compose.BackHandler
import androidx.compose.runtime.Composable
import androidx.compose.runtime.DisposableEffect
import androidx.compose.runtime.LaunchedEffect
import androidx.compose.runtime.collectAsState
import androidx.compose.runtime.getValue
import androidx.compose.runtime.mutableStateOf
import androidx.compose.runtime.remember
import androidx.compose.runtime.rememberCoroutineScope
import androidx.compose.runtime.setValue
import androidx.compose.ui.platform.LocalContext
import com.google.mlkit.vision.codescanner.GmsBarcodeScanning
import kotlinx.coroutines.launch
import org.homevisit.core.HomevisitApp
import org.homevisit.presentation.EnrollViewModel
import org.homevisit.presentation.FamilyViewModel
import org.homevisit.presentation.NotesViewModel
import org.homevisit.presentation.PartnerSyncViewModel
import org.homevisit.presentation.PlaceKind
import org.homevisit.presentation.PlanVisitViewModel
import org.homevisit.presentation.SettingsViewModel
import org.homevisit.presentation.StartersViewModel
import org.homevisit.presentation.SyncStatusViewModel
import org.homevisit.presentation.TodayViewModel
import org.homevisit.presentation.VisitViewModel
import org.homevisit.ui.EnrollScreen
import org.homevisit.ui.FamilyScreen
import org.homevisit.ui.NotesScreen
import org.homevisit.ui.PlanVisitEvents
import org.homevisit.ui.PlanVisitScreen
import org.homevisit.ui.SettingsScreen
import org.homevisit.ui.StartersScreen
import org.homevisit.ui.SyncStatusScreen
import org.homevisit.ui.TodayScreen
import org.homevisit.ui.VisitLink
import org.homevisit.ui.VisitScreen

private sealed interface Route {
    data object Enroll : Route
    data object Today : Route
    data object Sync : Route
    data object Settings : Route
    data class Visit(val id: String) : Route
    data class Starters(val visitId: String) : Route
    data class Notes(val visitId: String, val debrief: Boolean) : Route
    data class Family(val id: String) : Route
    data class Plan(val familyId: String?, val visitNumber: Int) : Route
}

/**
 * The app's screens over its view models: a plain back stack (no navigation library). Each view
 * model lives as long as its screen is shown; it is closed (its subscriptions ended) on leaving.
 */
@Composable
fun Navigation(app: HomevisitApp, relayUrl: String, onWiped: () -> Unit) {
    var stack by remember { mutableStateOf(listOf<Route>()) }
    var me by remember { mutableStateOf<String?>(null) }
    LaunchedEffect(app) {
        val enrolled = app.syncStatus().enrolled
        me = app.whoami()?.educatorId
        stack = listOf(if (enrolled) Route.Today else Route.Enroll)
    }
    val route = stack.lastOrNull() ?: return
    fun go(r: Route) { stack = stack + r }
    fun back() { if (stack.size > 1) stack = stack.dropLast(1) }
    BackHandler(enabled = stack.size > 1) { back() }
    val scope = rememberCoroutineScope()

    when (route) {
        Route.Enroll -> {
            val vm = remember { EnrollViewModel(app, scope, relayUrl) }
            val s by vm.state.collectAsState()
            LaunchedEffect(s.enrolled) { if (s.enrolled) { me = app.whoami()?.educatorId; stack = listOf(Route.Today) } }
            val context = LocalContext.current
            // Google's code scanner: the camera UI is Play services', so this app asks no camera
            // permission and never sees the picture, only the text.
            EnrollScreen(s, vm::onRelayUrl, vm::onInviteCode, vm::enroll, onScanQr = {
                GmsBarcodeScanning.getClient(context).startScan().addOnSuccessListener { code -> code.rawValue?.let(vm::onScanned) }
            })
        }
        Route.Today -> {
            val vm = remember { TodayViewModel(app, scope) }
            DisposableEffect(vm) { onDispose { vm.close() } }
            val s by vm.state.collectAsState()
            TodayScreen(s, { go(Route.Visit(it)) }, vm::syncNow, { go(Route.Sync) }, { go(Route.Settings) }, { go(Route.Plan(null, 1)) })
        }
        is Route.Visit -> {
            val vm = remember(route) { VisitViewModel(app, route.id, me, scope) }
            DisposableEffect(vm) { onDispose { vm.close() } }
            val s by vm.state.collectAsState()
            VisitScreen(
                s, ::back, vm::recordFamilyAgreement, vm::recordFamilyDecline, vm::recordOutcome, vm::confirmAsPartner,
            ) { link ->
                when (link) {
                    VisitLink.STARTERS -> go(Route.Starters(route.id))
                    VisitLink.NOTES -> go(Route.Notes(route.id, debrief = false))
                    VisitLink.DEBRIEF -> go(Route.Notes(route.id, debrief = true))
                    VisitLink.FAMILY -> if (s.familyId.isNotEmpty()) go(Route.Family(s.familyId))
                }
            }
        }
        is Route.Starters -> {
            val vm = remember(route) { StartersViewModel(app, route.visitId, scope) }
            val s by vm.state.collectAsState()
            StartersScreen(s, ::back)
        }
        is Route.Notes -> {
            val vm = remember(route) { NotesViewModel(app, route.visitId, route.debrief, me, scope) }
            DisposableEffect(vm) { onDispose { vm.close() } }
            val s by vm.state.collectAsState()
            // Phone to phone in the car: with the visit's other educator, over Nearby Connections.
            val mine = me
            var partnerId by remember(route) { mutableStateOf<String?>(null) }
            LaunchedEffect(route, mine) { partnerId = mine?.let { m -> app.visit(route.visitId).plan.educatorIds.firstOrNull { it != m } } }
            val partner = partnerId
            val swap = remember(route, mine, partner) {
                if (mine != null && partner != null) PartnerSyncViewModel(app, route.visitId, mine, partner, scope) else null
            }
            val swapState = swap?.state?.collectAsState()
            val context = LocalContext.current
            val onSwap: (() -> Unit)? = if (swap != null && mine != null && partner != null) {
                {
                    scope.launch {
                        NearbyPartnerChannel.connect(context, route.visitId, mine, partner).use { swap.start(it).join() }
                    }
                }
            } else {
                null
            }
            NotesScreen(s, ::back, vm::onEdit, vm::setDone, swapState?.value, onSwap)
        }
        is Route.Family -> {
            val vm = remember(route) { FamilyViewModel(app, route.id, scope) }
            DisposableEffect(vm) { onDispose { vm.close() } }
            val s by vm.state.collectAsState()
            FamilyScreen(s, ::back, { go(Route.Visit(it)) }, { go(Route.Plan(route.id, 2)) })
        }
        is Route.Plan -> {
            val educator = me ?: return
            val vm = remember(route) { PlanVisitViewModel(app, educator, scope, route.familyId, route.visitNumber) }
            val s by vm.state.collectAsState()
            LaunchedEffect(s.plannedVisitId) { s.plannedVisitId?.let { stack = stack.dropLast(1) + Route.Visit(it) } }
            PlanVisitScreen(s, ::back, object : PlanVisitEvents {
                override fun onFamily(id: String) = vm.chooseFamily(id)
                override fun onPartner(id: String) = vm.choosePartner(id)
                override fun onVisitNumber(n: Int) = vm.chooseVisitNumber(n)
                override fun onTime(ms: Long) = vm.setTime(ms)
                override fun onPlace(kind: PlaceKind) = vm.choosePlace(kind)
                override fun onPlaceDescription(text: String) = vm.describePlace(text)
                override fun onInterpreter(on: Boolean) = vm.setInterpreter(on)
                override fun onSave() = vm.save()
            })
        }
        Route.Sync -> {
            val vm = remember { SyncStatusViewModel(app, scope) }
            DisposableEffect(vm) { onDispose { vm.close() } }
            val s by vm.state.collectAsState()
            SyncStatusScreen(s, ::back, vm::syncNow)
        }
        Route.Settings -> {
            val vm = remember { SettingsViewModel(app, scope) }
            val s by vm.state.collectAsState()
            LaunchedEffect(s.signedOut) { if (s.signedOut != null) onWiped() }
            SettingsScreen(s, ::back, vm::requestSignOut, vm::cancelSignOut, vm::confirmSignOut)
        }
    }
}
