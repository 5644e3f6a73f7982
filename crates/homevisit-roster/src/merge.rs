//! What a re-import writes over a stored record: the roster's fields, keeping what the roster does
//! not own (set on phones or by an administrator since).

use homevisit_model::{Educator, Family};

/// `imported`, keeping `existing`'s training date when the roster gives none (a date set with
/// `homevisit-relay educator train` survives a roster without the column).
pub fn merge_educator(existing: &Educator, imported: &Educator) -> Educator {
    Educator { training_date: imported.training_date.or(existing.training_date), ..imported.clone() }
}

/// `imported`, keeping `existing`'s contact preference (chosen with the family on a visit) and its
/// renewed agreement (recorded by a coordinator after the family had declined): no roster has them,
/// and a re-import must not take a family's "yes" back.
pub fn merge_family(existing: &Family, imported: &Family) -> Family {
    Family {
        contact: existing.contact.clone(),
        agreement_renewed: existing.agreement_renewed.clone(),
        ..imported.clone()
    }
}
