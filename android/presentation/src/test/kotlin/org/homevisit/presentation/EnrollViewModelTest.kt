package org.homevisit.presentation

import kotlin.time.Duration.Companion.minutes
import kotlinx.coroutines.test.runTest
import org.homevisit.core.DeviceRole
import org.homevisit.core.RelayPerTest
import org.homevisit.core.generateDatabaseKey
import org.homevisit.core.openApp
import org.junit.jupiter.api.Assertions.assertEquals
import org.junit.jupiter.api.Assertions.assertFalse
import org.junit.jupiter.api.Assertions.assertTrue
import org.junit.jupiter.api.Test

class EnrollViewModelTest : RelayPerTest("enroll") {
    @Test
    fun `a wrong invite code is explained, the right one enrolls the phone`() = runTest(timeout = 3.minutes) {
        openApp(tmp.resolve("johnson").toString(), generateDatabaseKey()).use { app ->
            val vm = EnrollViewModel(app, backgroundScope, defaultRelayUrl = relay.url)
            assertFalse(vm.state.value.canEnroll, "no code yet")
            vm.onInviteCode("NOT-A-CODE")
            vm.enroll()
            val refused = vm.state.await("refused") { !it.busy && it.problem != null }
            assertEquals(Problem.INVITE_NOT_ACCEPTED, refused.problem)
            assertFalse(refused.enrolled)

            vm.onInviteCode(relay.invite("Dana Johnson"))
            assertEquals(null, vm.state.value.problem, "typing clears the old problem")
            vm.enroll()
            assertTrue(vm.state.await("enrolled") { it.enrolled }.enrolled)
            assertEquals(DeviceRole.SCHOOL_COORDINATOR, app.whoami()!!.role)
            assertTrue(app.roster().educators.isNotEmpty(), "the first sync brought the roster")
        }
    }

    @Test
    fun `scanning the coordinator's QR code enrolls the phone, anything else is not an invite`() = runTest(timeout = 3.minutes) {
        openApp(tmp.resolve("okafor").toString(), generateDatabaseKey()).use { app ->
            val vm = EnrollViewModel(app, backgroundScope)
            vm.onScanned("https://example.org/menu")
            assertEquals(Problem.NOT_AN_INVITE, vm.state.value.problem)
            assertFalse(vm.state.value.busy, "nothing was sent")
            // What `homevisit-relay invite --relay-url ... --qr` encodes.
            vm.onScanned("homevisit-enroll:${relay.invite("Grace Okafor")}@${relay.url}")
            assertTrue(vm.state.await("enrolled") { it.enrolled }.enrolled)
            assertEquals(relay.url, vm.state.value.relayUrl)
            assertEquals(DeviceRole.EDUCATOR, app.whoami()!!.role)
        }
    }

    @Test
    fun `a plain http address to another machine is refused before anything is sent`() = runTest(timeout = 3.minutes) {
        openApp(tmp.resolve("rivera").toString(), generateDatabaseKey()).use { app ->
            val vm = EnrollViewModel(app, backgroundScope, defaultRelayUrl = "http://relay.example.org")
            vm.onInviteCode(relay.invite("Elena Rivera"))
            vm.enroll()
            assertEquals(Problem.INSECURE_ADDRESS, vm.state.await("refused") { it.problem != null }.problem)
        }
    }
}
