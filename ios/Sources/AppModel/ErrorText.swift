// What a screen says when a call into the library fails.

import HomevisitCore

extension L10n {
    /// The words for `error` (a HomevisitError, or anything else as an internal error).
    public static func of(_ error: Error) -> L10n {
        guard let error = error as? HomevisitError else { return .errInternal }
        switch error {
        case .Offline: return .errOffline
        case .Unauthorized: return .errInviteRefused
        case .InsecureUrl: return .errInsecureUrl
        case .Revoked: return .errRevoked
        case .Invalid, .NotFound: return .errInvalid
        case .RateLimited: return .errRateLimited
        case .Relay: return .errRelay
        case .NotEnrolled: return .errNotEnrolled
        case .Closed: return .errClosed
        case .WrongKey: return .errWrongKey
        case .Corrupt, .NewerVersion, .Internal: return .errInternal
        }
    }
}
