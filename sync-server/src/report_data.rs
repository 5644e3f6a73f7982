//! Gathers what a coordinator's reports read ([`homevisit_reports::ReportData`]) from the relay's
//! storage: the documents whose *recorded* scope is the school (never what a document says about
//! itself), each checked as a device's would be; of a visit's notes, only whether the debrief was
//! marked done.

use homevisit_model::SchoolId;
use homevisit_reports::ReportData;

use crate::{Relay, RelayError};

impl Relay {
    /// The records and visit logs of `school` (`None`: every school, for a district
    /// administrator). A document that does not pass the check (only an administrator's import
    /// can have stored one) is left out and logged by id.
    pub fn report_data(&self, school: Option<SchoolId>) -> Result<ReportData, RelayError> {
        let mut data = ReportData::default();
        for id in self.backend.school_documents(school)? {
            let Some(doc) = self.backend.document(&id)? else { continue };
            if let Err(e) = data.add_document(&id, &doc) {
                tracing::warn!(doc = %id, error = %e, "a document that fails its check left out of a report");
            }
        }
        data.sort_schools();
        Ok(data)
    }
}
