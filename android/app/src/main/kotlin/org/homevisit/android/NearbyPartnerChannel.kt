package org.homevisit.android

import android.content.Context
import com.google.android.gms.nearby.Nearby
import com.google.android.gms.nearby.connection.AdvertisingOptions
import com.google.android.gms.nearby.connection.ConnectionInfo
import com.google.android.gms.nearby.connection.ConnectionLifecycleCallback
import com.google.android.gms.nearby.connection.ConnectionResolution
import com.google.android.gms.nearby.connection.DiscoveredEndpointInfo
import com.google.android.gms.nearby.connection.DiscoveryOptions
import com.google.android.gms.nearby.connection.EndpointDiscoveryCallback
import com.google.android.gms.nearby.connection.Payload
import com.google.android.gms.nearby.connection.PayloadCallback
import com.google.android.gms.nearby.connection.PayloadTransferUpdate
import com.google.android.gms.nearby.connection.Strategy
import kotlinx.coroutines.CompletableDeferred
import kotlinx.coroutines.channels.Channel
import kotlinx.coroutines.tasks.await
import kotlinx.coroutines.withTimeout
import org.homevisit.presentation.PartnerChannel

/**
 * The partner's phone over Google Nearby Connections (Bluetooth and Wi-Fi, no signal needed): the
 * transport of `PartnerSyncViewModel`. Both phones open it for the same visit; the one whose
 * educator id sorts first advertises, the other discovers, and the connection is accepted only
 * for an endpoint that names the same visit and the expected partner. The core still checks every
 * byte: this only carries them. Not compiled on the build machine (no Google Play services there).
 *
 * Each message is one BYTES payload (Nearby's limit is 32 KB per BYTES payload, so larger sync
 * messages go as STREAM payloads; the debrief of one visit is a few KB).
 */
class NearbyPartnerChannel private constructor(
    private val context: Context,
    private val endpointId: String,
    private val incoming: Channel<ByteArray>,
) : PartnerChannel, AutoCloseable {
    override suspend fun send(message: ByteArray) {
        val payload = if (message.size <= MAX_BYTES_PAYLOAD) {
            Payload.fromBytes(message)
        } else {
            Payload.fromStream(message.inputStream())
        }
        Nearby.getConnectionsClient(context).sendPayload(endpointId, payload).await()
    }

    override suspend fun receive(): ByteArray? = incoming.receiveCatching().getOrNull()

    override fun close() {
        Nearby.getConnectionsClient(context).disconnectFromEndpoint(endpointId)
        incoming.close()
    }

    companion object {
        private const val SERVICE_ID = "org.homevisit.partner-sync"
        private const val MAX_BYTES_PAYLOAD = 32 * 1024
        private const val CONNECT_TIMEOUT_MS = 60_000L

        /** Connects to the partner's phone for [visitId]; [myId] and [partnerId] are educator ids. */
        suspend fun connect(context: Context, visitId: String, myId: String, partnerId: String): NearbyPartnerChannel {
            val client = Nearby.getConnectionsClient(context)
            val incoming = Channel<ByteArray>(Channel.UNLIMITED)
            val connected = CompletableDeferred<String>()
            // Endpoint names carry ids only (never a name): "<visit>/<educator>".
            val myName = "$visitId/$myId"
            val expected = "$visitId/$partnerId"
            val payloads = object : PayloadCallback() {
                override fun onPayloadReceived(endpointId: String, payload: Payload) {
                    val bytes = payload.asBytes() ?: payload.asStream()?.asInputStream()?.use { it.readBytes() }
                    if (bytes != null) incoming.trySend(bytes)
                }

                override fun onPayloadTransferUpdate(endpointId: String, update: PayloadTransferUpdate) {}
            }
            val lifecycle = object : ConnectionLifecycleCallback() {
                override fun onConnectionInitiated(endpointId: String, info: ConnectionInfo) {
                    if (info.endpointName == expected) {
                        client.acceptConnection(endpointId, payloads)
                    } else {
                        client.rejectConnection(endpointId)
                    }
                }

                override fun onConnectionResult(endpointId: String, resolution: ConnectionResolution) {
                    if (resolution.status.isSuccess) connected.complete(endpointId)
                }

                override fun onDisconnected(endpointId: String) {
                    incoming.close()
                }
            }
            val strategy = Strategy.P2P_POINT_TO_POINT
            if (myId < partnerId) {
                client.startAdvertising(myName, SERVICE_ID, lifecycle, AdvertisingOptions.Builder().setStrategy(strategy).build()).await()
            } else {
                val discovery = object : EndpointDiscoveryCallback() {
                    override fun onEndpointFound(endpointId: String, info: DiscoveredEndpointInfo) {
                        if (info.endpointName == expected) client.requestConnection(myName, endpointId, lifecycle)
                    }

                    override fun onEndpointLost(endpointId: String) {}
                }
                client.startDiscovery(SERVICE_ID, discovery, DiscoveryOptions.Builder().setStrategy(strategy).build()).await()
            }
            try {
                val endpoint = withTimeout(CONNECT_TIMEOUT_MS) { connected.await() }
                return NearbyPartnerChannel(context, endpoint, incoming)
            } finally {
                client.stopAdvertising()
                client.stopDiscovery()
            }
        }
    }
}
