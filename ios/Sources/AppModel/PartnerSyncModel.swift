// Phone to phone in the car, no signal: the two partners' phones bring one shared visit's log and
// notes together over a `PartnerChannel` (MultipeerConnectivity in the app, an in-memory pipe in
// tests). The core decides what crosses (that visit only, checked like anything received); this
// runs the exchange. The phone whose educator id sorts first starts, so both agree without asking;
// an empty message says "I have nothing more" and ends it for both.

import Foundation
import HomevisitCore
import Observation

/// A connection to the partner's phone that carries whole messages.
public protocol PartnerChannel: Sendable {
    func send(_ message: Data) async throws
    /// The partner's next message; nil once the connection closed.
    func receive() async throws -> Data?
}

@MainActor
@Observable
public final class PartnerSyncModel {
    public enum Phase: Equatable, Sendable {
        case idle
        case exchanging
        /// `changed`: the partner's records that changed here (their words arrived).
        case done(changed: Int, refused: Int)
        case failed(L10n)
    }

    public private(set) var phase: Phase = .idle

    private let app: HomevisitApp
    private let visitId: String
    private let myId: String
    /// The visit's other educator, whose phone this one swaps with.
    public let partnerId: String

    public init(app: HomevisitApp, visitId: String, myId: String, partnerId: String) {
        self.app = app
        self.visitId = visitId
        self.myId = myId
        self.partnerId = partnerId
    }

    public func exchange(over channel: PartnerChannel) async {
        phase = .exchanging
        do {
            let exchange = try app.startPeerExchange(visitId: visitId, partnerId: partnerId)
            do {
                try await run(exchange, over: channel)
            } catch {
                // What arrived is kept; finishing only saves what each phone is known to have.
                _ = try? await exchange.finish()
                throw error
            }
            let summary = try await exchange.finish()
            phase = .done(changed: Int(summary.documentsChanged), refused: Int(summary.documentsRefused))
        } catch {
            phase = .failed(L10n.of(error))
        }
    }

    private func run(_ exchange: PeerExchange, over channel: PartnerChannel) async throws {
        if myId < partnerId { try await channel.send(try await exchange.firstMessage()) }
        while let message = try await channel.receive(), !message.isEmpty {
            guard let reply = try await exchange.receive(message: message) else {
                try await channel.send(Data())
                return
            }
            try await channel.send(reply)
        }
    }
}
