//! The dashboard's words in English and Spanish: one table ([`K`]), the language a request is
//! answered in (`?lang=` first, then the `hv_lang` cookie, then `Accept-Language`; English by
//! default), and how numbers and times are shown.

use axum::http::{HeaderMap, header};
use homevisit_model::Timestamp;

use super::cookies;

/// The languages the dashboard speaks.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Lang {
    En,
    Es,
}

/// The cookie that keeps a chosen language.
pub const LANG_COOKIE: &str = "hv_lang";

impl Lang {
    pub const ALL: [Lang; 2] = [Lang::En, Lang::Es];

    /// The BCP 47 tag (`<html lang>`, `?lang=`).
    pub fn code(self) -> &'static str {
        match self {
            Lang::En => "en",
            Lang::Es => "es",
        }
    }

    pub fn parse(code: &str) -> Option<Lang> {
        Lang::ALL.into_iter().find(|l| l.code().eq_ignore_ascii_case(code))
    }

    /// The language of a request, and whether `?lang=` chose it (then the caller sets the cookie).
    pub fn negotiate(query: Option<&str>, headers: &HeaderMap) -> (Lang, bool) {
        let asked = query
            .into_iter()
            .flat_map(|q| form_urlencoded::parse(q.as_bytes()))
            .find(|(k, _)| k == "lang")
            .and_then(|(_, v)| Lang::parse(&v));
        if let Some(lang) = asked {
            return (lang, true);
        }
        if let Some(lang) = cookies::read(headers, LANG_COOKIE).and_then(Lang::parse) {
            return (lang, false);
        }
        (Lang::from_accept_language(headers), false)
    }

    /// The first supported language in `Accept-Language` by its weights; English otherwise.
    fn from_accept_language(headers: &HeaderMap) -> Lang {
        let Some(value) = headers.get(header::ACCEPT_LANGUAGE).and_then(|v| v.to_str().ok()) else {
            return Lang::En;
        };
        let mut best: Option<(f32, Lang)> = None;
        for item in value.split(',').take(16) {
            let mut parts = item.split(';');
            let tag = parts.next().unwrap_or("").trim();
            let weight = parts
                .find_map(|p| p.trim().strip_prefix("q="))
                .map_or(Some(1.0), |q| q.trim().parse::<f32>().ok())
                .unwrap_or(0.0);
            let primary = tag.split('-').next().unwrap_or("");
            if let Some(lang) = Lang::parse(primary)
                && weight > 0.0
                && best.is_none_or(|(w, _)| weight > w)
            {
                best = Some((weight, lang));
            }
        }
        best.map_or(Lang::En, |(_, l)| l)
    }

    /// The text of `key` in this language.
    pub fn t(self, key: K) -> &'static str {
        let (en, es) = entry(key);
        match self {
            Lang::En => en,
            Lang::Es => es,
        }
    }

    /// The text of `key` with each `{name}` replaced by its value.
    pub fn fill(self, key: K, values: &[(&str, &str)]) -> String {
        let mut text = self.t(key).to_string();
        for (name, value) in values {
            text = text.replace(&format!("{{{name}}}"), value);
        }
        text
    }

    /// A percentage with one decimal (`12.5%`; Spanish `12,5 %`).
    pub fn percent(self, value: f64) -> String {
        match self {
            Lang::En => format!("{value:.1}%"),
            Lang::Es => format!("{value:.1} %").replace('.', ","),
        }
    }

    /// An amount of US cents as dollars (`$1240.00`; Spanish `1240,00 US$`).
    pub fn dollars(self, cents: u64) -> String {
        let (whole, part) = (cents / 100, cents % 100);
        match self {
            Lang::En => format!("${whole}.{part:02}"),
            Lang::Es => format!("{whole},{part:02} US$"),
        }
    }
}

/// An instant as the dashboard shows it: `YYYY-MM-DD HH:MM UTC`.
pub fn when(t: Timestamp) -> String {
    t.0.format("%Y-%m-%d %H:%M UTC").to_string()
}

macro_rules! strings {
    ($($key:ident => $en:literal, $es:literal;)*) => {
        /// Every visible string of the dashboard.
        #[derive(Clone, Copy, Debug, PartialEq, Eq)]
        pub enum K { $($key),* }

        impl K {
            #[cfg(test)]
            pub const ALL: &[K] = &[$(K::$key),*];
        }

        fn entry(key: K) -> (&'static str, &'static str) {
            match key { $(K::$key => ($en, $es)),* }
        }
    };
}

strings! {
    AppTitle => "Home visits dashboard", "Panel de visitas al hogar";
    SkipToContent => "Skip to content", "Saltar al contenido";
    MainNav => "Main", "Principal";
    NavOverview => "Overview", "Resumen";
    NavVisits => "Visits", "Visitas";
    NavEducators => "Educators", "Educadores";
    NavFidelity => "Fidelity", "Fidelidad";
    NavStipends => "Stipends", "Estipendios";
    SignedInAs => "Signed in as", "Sesión iniciada como";
    SignOut => "Sign out", "Cerrar sesión";
    Language => "Language", "Idioma";
    LangEn => "English", "English";
    LangEs => "Español", "Español";

    School => "School", "Escuela";
    AllSchools => "All schools", "Todas las escuelas";
    From => "From", "Desde";
    To => "To", "Hasta";
    Show => "Show", "Mostrar";
    Any => "Any", "Cualquiera";
    Educator => "Educator", "Educador(a)";
    Status => "Status", "Estado";
    VisitNumber => "Visit number", "Número de visita";
    FirstVisit => "First visit", "Primera visita";
    SecondVisit => "Second visit", "Segunda visita";
    Filters => "Filters", "Filtros";
    PeriodShown => "Period shown: {from} to {to}", "Periodo mostrado: del {from} al {to}";
    Yes => "Yes", "Sí";
    No => "No", "No";
    NoData => "Nothing to show for this period.", "Nada que mostrar en este periodo.";
    TheNumbers => "The numbers", "Los números";
    Exports => "Downloads", "Descargas";

    StatusPlanned => "Planned", "Planificada";
    StatusConfirmed => "Confirmed", "Confirmada";
    StatusCompleted => "Completed", "Completada";
    StatusFamilyNotHome => "Family not home", "Familia ausente";
    StatusCancelled => "Cancelled", "Cancelada";
    StatusRescheduled => "Rescheduled", "Reprogramada";
    StatusFamilyDeclined => "Family declined", "La familia no aceptó";
    PlaceHome => "Home", "Hogar";
    PlaceNeutral => "Neutral place", "Lugar neutral";
    PlaceVirtual => "Virtual", "Virtual";

    SignInTitle => "Sign in", "Iniciar sesión";
    Username => "Username", "Nombre de usuario";
    Password => "Password", "Contraseña";
    PasswordAgain => "Password again", "Repita la contraseña";
    InviteCode => "Invite code", "Código de invitación";
    SignInButton => "Sign in", "Entrar";
    WrongPassword => "The username or password is wrong.", "El nombre de usuario o la contraseña no son correctos.";
    TryLater => "Try again later.", "Inténtelo de nuevo más tarde.";
    SetUpTitle => "Set up your account", "Configure su cuenta";
    SetUpLink => "Have an invite code? Set up your account.", "¿Tiene un código de invitación? Configure su cuenta.";
    SetUpIntro => "Use the coordinator's invite code your district gave you. A password has 12 to 256 characters.", "Use el código de invitación de coordinador que le dio su distrito. Una contraseña tiene de 12 a 256 caracteres.";
    SetUpButton => "Create account", "Crear cuenta";
    PasswordsDiffer => "The two passwords differ.", "Las dos contraseñas no coinciden.";
    PasswordLength => "The password must be 12 to 256 characters.", "La contraseña debe tener de 12 a 256 caracteres.";
    BadInvite => "The invite code is unknown, used or expired, or is not a coordinator's.", "El código de invitación es desconocido, ya se usó, venció o no es de coordinador.";
    UsernameTaken => "That username is taken.", "Ese nombre de usuario ya existe.";
    BadUsername => "The username must be 1 to 64 letters, digits, '.', '-', '_' or '@'.", "El nombre de usuario debe tener de 1 a 64 letras, dígitos, '.', '-', '_' o '@'.";
    BackToSignIn => "Back to sign in", "Volver a iniciar sesión";

    NotFoundTitle => "Not found", "No encontrado";
    NotFoundBody => "There is nothing here.", "Aquí no hay nada.";
    BadRequestTitle => "Bad request", "Solicitud incorrecta";
    BadRequestBody => "Check the dates (YYYY-MM-DD) and the filters.", "Revise las fechas (AAAA-MM-DD) y los filtros.";
    ForbiddenTitle => "Refused", "Rechazado";
    ForbiddenBody => "The form had expired or came from another site. Reload the page and try again.", "El formulario había vencido o venía de otro sitio. Recargue la página e inténtelo de nuevo.";
    InternalTitle => "Something went wrong", "Algo salió mal";
    InternalBody => "Try again in a moment.", "Inténtelo de nuevo en un momento.";
    BackToOverview => "Back to the overview", "Volver al resumen";

    OverviewTitle => "Overview", "Resumen";
    Reach => "Reach", "Alcance";
    ReachExplain => "Students whose families had a completed visit, of the students enrolled. Schools that visit at least 10% of their students see less chronic absence.", "Estudiantes cuyas familias tuvieron una visita completada, del total de inscritos. Las escuelas que visitan al menos al 10% de sus estudiantes ven menos ausentismo crónico.";
    ReachChart => "Reach per school, % of students, with the 10% threshold", "Alcance por escuela, % de estudiantes, con el umbral del 10%";
    Threshold => "Threshold", "Umbral";
    StudentsVisited => "Students visited", "Estudiantes visitados";
    StudentsEnrolled => "Students enrolled", "Estudiantes inscritos";
    FamiliesVisited => "Families visited", "Familias visitadas";
    Percent => "Percent", "Porcentaje";
    MeetsThreshold => "Meets the threshold", "Alcanza el umbral";
    BelowThreshold => "Below the threshold", "Por debajo del umbral";
    Trend => "Reach through the year", "Alcance a lo largo del año";
    TrendChart => "Reach by month, cumulative % of students: {school}", "Alcance por mes, % acumulado de estudiantes: {school}";
    Month => "Month", "Mes";
    Staff => "Staff participation", "Participación del personal";
    StaffExplain => "Educators on at least one completed visit, of the educators on the roster (the aim: 50%).", "Educadores en al menos una visita completada, del total del personal (la meta: 50%).";
    EducatorsTookPart => "Educators who took part", "Educadores que participaron";
    EducatorsOnRoster => "Educators on the roster", "Educadores en la plantilla";
    FamilyVisits => "First and second visits", "Primeras y segundas visitas";
    Families => "Families", "Familias";
    WithFirst => "With a first visit", "Con primera visita";
    WithSecond => "With a second visit", "Con segunda visita";
    Safety => "Safety", "Seguridad";
    OverrunExplain => "Past expected end, no outcome recorded", "Pasada la hora prevista de fin, sin resultado registrado";
    NoOverruns => "No visit is past its expected end without an outcome.", "Ninguna visita pasó su hora prevista de fin sin resultado.";
    Scheduled => "Scheduled", "Programada";
    ExpectedEnd => "Expected end", "Fin previsto";
    MinutesOver => "Minutes over", "Minutos de más";
    Visit => "Visit", "Visita";
    Educators => "Educators", "Educadores";

    VisitsTitle => "Visit log", "Registro de visitas";
    Family => "Family", "Familia";
    Duration => "Minutes", "Minutos";
    Documented => "Documented", "Documentada";
    Debriefed => "Debriefed", "Reflexión hecha";
    VisitsShown => "Visits shown: {n}", "Visitas mostradas: {n}";
    VisitsCsv => "Download the visit log (CSV)", "Descargar el registro de visitas (CSV)";
    EvaluationCsv => "Download the anonymised evaluation file (CSV)", "Descargar el archivo de evaluación anonimizado (CSV)";

    Place => "Place", "Lugar";
    Interpreter => "Interpreter", "Intérprete";
    Started => "Started", "Comenzó";
    Ended => "Ended", "Terminó";
    AgreementRecorded => "Family's agreement recorded", "Acuerdo de la familia registrado";
    Notes => "Notes", "Notas";
    NotesPrivate => "The notes and the debrief belong to the pair who made the visit: this school does not share them with coordinators.", "Las notas y la reflexión pertenecen a la pareja que hizo la visita: esta escuela no las comparte con los coordinadores.";
    NotesNone => "No notes were written.", "No se escribieron notas.";
    NoteHopesAndDreams => "Hopes and dreams", "Esperanzas y sueños";
    NoteInvitation => "Invitation", "Invitación";
    NoteFamilyExpectations => "What the family expects", "Lo que espera la familia";
    NoteSchoolExpectations => "What the school asks", "Lo que pide la escuela";
    NoteCommunicationRhythm => "How often to talk", "Con qué frecuencia hablar";
    NoteLearned => "What we learned", "Lo que aprendimos";
    NoteAssumptionsChanged => "Assumptions that changed", "Suposiciones que cambiaron";
    NoteUseInClass => "How we will use it in class", "Cómo lo usaremos en clase";
    NoteNextSteps => "Next steps", "Próximos pasos";
    BackToVisits => "Back to the visit log", "Volver al registro de visitas";

    EducatorsTitle => "Educators", "Educadores";
    EducatorsChart => "Completed visits per educator", "Visitas completadas por educador";
    Visits => "Visits", "Visitas";
    Completed => "Completed", "Completadas";
    FirstVisits => "First visits", "Primeras visitas";
    SecondVisits => "Second visits", "Segundas visitas";
    Training => "Training", "Capacitación";
    NotTrained => "not trained", "sin capacitación";

    FidelityTitle => "Fidelity to the five core practices", "Fidelidad a las cinco prácticas básicas";
    FidelityExplain => "Each share is of the school's completed visits in the period.", "Cada proporción es del total de visitas completadas de la escuela en el periodo.";
    Practice => "Practice", "Práctica";
    Share => "Share", "Proporción";
    InPairs => "Made in pairs", "Hechas en pareja";
    InPairsExplain => "Two or more adults went (an interpreter who joins counts).", "Fueron dos o más adultos (cuenta un intérprete que se une).";
    AgreementBefore => "Agreement before the visit", "Acuerdo antes de la visita";
    AgreementBeforeExplain => "Visits are voluntary: the family agreed before the pair went.", "Las visitas son voluntarias: la familia aceptó antes de que fuera la pareja.";
    DebriefDone => "Debrief done", "Reflexión hecha";
    DebriefDoneExplain => "The pair reflected together after the visit.", "La pareja reflexionó junta después de la visita.";
    TrainedOrPaired => "Trained, or with a trained partner", "Con capacitación, o con pareja capacitada";
    TrainedOrPairedExplain => "Each educator was trained by the visit's day, or went with a trained partner.", "Cada educador tenía capacitación el día de la visita, o fue con una pareja capacitada.";
    GradesReached => "Grades reached", "Grados alcanzados";
    GradesReachedExplain => "Visits spread across grades and classes rather than concentrated in a few.", "Visitas repartidas entre grados y clases en lugar de concentradas en unos pocos.";
    LargestGradeShare => "Largest share of the visited students in one grade: {share}", "Mayor proporción de estudiantes visitados en un solo grado: {share}";
    SpreadChart => "Students visited by grade, %: {school}", "Estudiantes visitados por grado, %: {school}";
    Grade => "Grade", "Grado";

    StipendsTitle => "Stipends", "Estipendios";
    StipendsExplain => "Paid per completed visit that is timed and confirmed by the partner.", "Se paga por cada visita completada con horario y confirmada por la pareja.";
    Rate => "Rate per documented visit: {rate}", "Tarifa por visita documentada: {rate}";
    PartnerConfirmed => "Partner-confirmed", "Confirmadas por la pareja";
    TrainingValid => "Training valid", "Capacitación válida";
    Amount => "Amount", "Monto";
    Total => "Total", "Total";
    Paid => "Paid", "Pagado";
    MarkPaid => "Mark paid", "Marcar como pagado";
    MarkUnpaid => "Mark not paid", "Marcar como no pagado";
    StipendsCsv => "Download the stipends (CSV)", "Descargar los estipendios (CSV)";
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::http::HeaderValue;

    fn accept(value: &str) -> HeaderMap {
        let mut h = HeaderMap::new();
        h.insert(header::ACCEPT_LANGUAGE, HeaderValue::from_str(value).unwrap());
        h
    }

    #[test]
    fn the_query_then_the_cookie_then_accept_language_choose() {
        assert_eq!(Lang::negotiate(Some("lang=es&school=x"), &HeaderMap::new()), (Lang::Es, true));
        assert_eq!(Lang::negotiate(Some("lang=fr"), &HeaderMap::new()), (Lang::En, false));
        let mut cookie = accept("en");
        cookie.insert(header::COOKIE, HeaderValue::from_static("a=b; hv_lang=es"));
        assert_eq!(Lang::negotiate(None, &cookie), (Lang::Es, false));
        assert_eq!(Lang::negotiate(Some("lang=en"), &cookie), (Lang::En, true));
        assert_eq!(Lang::negotiate(None, &accept("fr-CA, es-MX;q=0.8, en;q=0.5")), (Lang::Es, false));
        assert_eq!(Lang::negotiate(None, &accept("es;q=0.2, en-US")), (Lang::En, false));
        assert_eq!(Lang::negotiate(None, &accept("es;q=0")), (Lang::En, false));
        assert_eq!(Lang::negotiate(None, &accept("de")), (Lang::En, false));
        assert_eq!(Lang::negotiate(None, &HeaderMap::new()), (Lang::En, false));
    }

    #[test]
    fn every_string_has_both_languages_with_the_same_placeholders() {
        let placeholders = |s: &str| {
            let mut names: Vec<String> =
                s.split('{').skip(1).filter_map(|p| p.split_once('}').map(|(n, _)| n.to_string())).collect();
            names.sort();
            names
        };
        for &key in K::ALL {
            let (en, es) = (Lang::En.t(key), Lang::Es.t(key));
            assert!(!en.trim().is_empty() && !es.trim().is_empty(), "{key:?}");
            assert_eq!(placeholders(en), placeholders(es), "{key:?}");
        }
        assert_eq!(Lang::Es.fill(K::VisitsShown, &[("n", "3")]), "Visitas mostradas: 3");
    }

    #[test]
    fn numbers_and_times_are_shown_per_language() {
        assert_eq!(Lang::En.percent(12.345), "12.3%");
        assert_eq!(Lang::Es.percent(12.345), "12,3 %");
        assert_eq!(Lang::En.dollars(124_005), "$1240.05");
        assert_eq!(Lang::Es.dollars(4000), "40,00 US$");
        let t = Timestamp::parse_rfc3339("2026-09-14T09:30:59-07:00").unwrap();
        assert_eq!(when(t), "2026-09-14 16:30 UTC");
    }
}
