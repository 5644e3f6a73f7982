// The partner's phone over MultipeerConnectivity (Bluetooth and peer-to-peer Wi-Fi, no signal
// needed): the transport of `PartnerSyncModel`. Both phones open it for the same visit; the one
// whose educator id sorts first advertises, the other browses and invites, and a peer is accepted
// only if its discovery info names the same visit and the expected partner. The core still checks
// every byte: this only carries them. Compiled only where MultipeerConnectivity exists (not on the
// Linux build machine).

#if canImport(MultipeerConnectivity)
import AppModel
import Foundation
import MultipeerConnectivity

public final class MultipeerPartnerChannel: NSObject, PartnerChannel, @unchecked Sendable {
    private static let serviceType = "hv-partner"  // 1-15 characters, letters, digits, hyphens
    private let session: MCSession
    private let me: MCPeerID
    private let visitId: String
    private let myId: String
    private let partnerId: String
    private var advertiser: MCNearbyServiceAdvertiser?
    private var browser: MCNearbyServiceBrowser?
    private var partner: MCPeerID?
    private var connected: CheckedContinuation<Void, Error>?
    private let incoming: AsyncStream<Data>
    private let deliver: AsyncStream<Data>.Continuation
    private var iterator: AsyncStream<Data>.AsyncIterator

    /// Ids only in what is advertised (never a name): the visit and the educator.
    private init(visitId: String, myId: String, partnerId: String) {
        self.visitId = visitId
        self.myId = myId
        self.partnerId = partnerId
        me = MCPeerID(displayName: String(myId.prefix(8)))
        session = MCSession(peer: me, securityIdentity: nil, encryptionPreference: .required)
        (incoming, deliver) = AsyncStream<Data>.makeStream()
        iterator = incoming.makeAsyncIterator()
        super.init()
        session.delegate = self
    }

    /// Connects to the partner's phone for `visitId` (within `timeout` seconds).
    public static func connect(visitId: String, myId: String, partnerId: String, timeout: TimeInterval = 60) async throws
        -> MultipeerPartnerChannel {
        let channel = MultipeerPartnerChannel(visitId: visitId, myId: myId, partnerId: partnerId)
        try await channel.open(timeout: timeout)
        return channel
    }

    private func open(timeout: TimeInterval) async throws {
        let info = ["visit": visitId, "educator": myId]
        try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<Void, Error>) in
            connected = continuation
            if myId < partnerId {
                let advertiser = MCNearbyServiceAdvertiser(peer: me, discoveryInfo: info, serviceType: Self.serviceType)
                advertiser.delegate = self
                advertiser.startAdvertisingPeer()
                self.advertiser = advertiser
            } else {
                let browser = MCNearbyServiceBrowser(peer: me, serviceType: Self.serviceType)
                browser.delegate = self
                browser.startBrowsingForPeers()
                self.browser = browser
            }
            DispatchQueue.main.asyncAfter(deadline: .now() + timeout) { [weak self] in
                self?.resume(throwing: URLError(.timedOut))
            }
        }
        advertiser?.stopAdvertisingPeer()
        browser?.stopBrowsingForPeers()
    }

    private func resume(throwing error: Error? = nil) {
        guard let continuation = connected else { return }
        connected = nil
        if let error { continuation.resume(throwing: error) } else { continuation.resume() }
    }

    public func send(_ message: Data) async throws {
        guard let partner else { throw URLError(.notConnectedToInternet) }
        try session.send(message, toPeers: [partner], with: .reliable)
    }

    public func receive() async throws -> Data? {
        await iterator.next()
    }

    public func close() {
        session.disconnect()
        deliver.finish()
    }
}

extension MultipeerPartnerChannel: MCSessionDelegate {
    public func session(_ session: MCSession, peer peerID: MCPeerID, didChange state: MCSessionState) {
        switch state {
        case .connected where partner == nil || partner == peerID:
            partner = peerID
            resume()
        case .notConnected where peerID == partner:
            deliver.finish()
        default:
            break
        }
    }

    public func session(_ session: MCSession, didReceive data: Data, fromPeer peerID: MCPeerID) {
        if peerID == partner { deliver.yield(data) }
    }

    public func session(_ session: MCSession, didReceive stream: InputStream, withName streamName: String, fromPeer peerID: MCPeerID) {}
    public func session(_ session: MCSession, didStartReceivingResourceWithName resourceName: String, fromPeer peerID: MCPeerID, with progress: Progress) {}
    public func session(_ session: MCSession, didFinishReceivingResourceWithName resourceName: String, fromPeer peerID: MCPeerID, at localURL: URL?, withError error: Error?) {}
}

extension MultipeerPartnerChannel: MCNearbyServiceAdvertiserDelegate {
    public func advertiser(_ advertiser: MCNearbyServiceAdvertiser, didReceiveInvitationFromPeer peerID: MCPeerID,
                           withContext context: Data?, invitationHandler: @escaping (Bool, MCSession?) -> Void) {
        // The browser sends its own ids as the invitation's context: only the expected partner for
        // this visit is let in.
        let expected = Data("\(visitId)/\(partnerId)".utf8)
        invitationHandler(context == expected, context == expected ? session : nil)
    }
}

extension MultipeerPartnerChannel: MCNearbyServiceBrowserDelegate {
    public func browser(_ browser: MCNearbyServiceBrowser, foundPeer peerID: MCPeerID, withDiscoveryInfo info: [String: String]?) {
        guard info?["visit"] == visitId, info?["educator"] == partnerId else { return }
        browser.invitePeer(peerID, to: session, withContext: Data("\(visitId)/\(myId)".utf8), timeout: 30)
    }

    public func browser(_ browser: MCNearbyServiceBrowser, lostPeer peerID: MCPeerID) {}
}
#endif
