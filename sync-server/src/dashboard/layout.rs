//! The page shell: `<html lang>`, the stylesheet, a skip link, the main navigation, the language
//! switch, who is signed in and the sign-out form; the signed-out shell for sign-in and set-up;
//! and the error page.

use axum::http::Uri;
use maud::{DOCTYPE, Markup, html};

use super::i18n::{K, Lang};
use super::query::link;
use super::respond::Failure;

/// Which section of the navigation a page is in.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Nav {
    Overview,
    Visits,
    Educators,
    Fidelity,
    Stipends,
}

const SECTIONS: [(Nav, &str, K); 5] = [
    (Nav::Overview, "/dashboard/overview", K::NavOverview),
    (Nav::Visits, "/dashboard/visits", K::NavVisits),
    (Nav::Educators, "/dashboard/educators", K::NavEducators),
    (Nav::Fidelity, "/dashboard/fidelity", K::NavFidelity),
    (Nav::Stipends, "/dashboard/stipends", K::NavStipends),
];

/// What the shell of a signed-in page shows.
pub struct Chrome<'a> {
    pub lang: Lang,
    pub username: &'a str,
    /// The session's CSRF token (for the sign-out form).
    pub csrf: &'a str,
    pub nav: Nav,
    /// The page's own address, for the language links.
    pub uri: &'a Uri,
}

fn head(lang: Lang, title: &str) -> Markup {
    html! {
        head {
            meta charset="utf-8";
            meta name="viewport" content="width=device-width, initial-scale=1";
            title { (title) " · " (lang.t(K::AppTitle)) }
            link rel="stylesheet" href="/dashboard/static/app.css";
        }
    }
}

/// The links to this page in each language (`?lang=`, the rest of the query kept).
fn language_switch(lang: Lang, uri: &Uri) -> Markup {
    let kept: Vec<(String, String)> = form_urlencoded::parse(uri.query().unwrap_or("").as_bytes())
        .filter(|(k, _)| k != "lang")
        .map(|(k, v)| (k.into_owned(), v.into_owned()))
        .collect();
    let href = |to: Lang| {
        let mut pairs: Vec<(&str, String)> = kept.iter().map(|(k, v)| (k.as_str(), v.clone())).collect();
        pairs.push(("lang", to.code().to_string()));
        link(uri.path(), &pairs)
    };
    html! {
        nav class="languages" aria-label=(lang.t(K::Language)) {
            a href=(href(Lang::En)) hreflang="en" lang="en" data-test="lang-en" aria-current=[(lang == Lang::En).then_some("true")] { (lang.t(K::LangEn)) }
            " "
            a href=(href(Lang::Es)) hreflang="es" lang="es" data-test="lang-es" aria-current=[(lang == Lang::Es).then_some("true")] { (lang.t(K::LangEs)) }
        }
    }
}

/// A signed-in page.
pub fn page(chrome: &Chrome<'_>, title: &str, body: Markup) -> Markup {
    let lang = chrome.lang;
    html! {
        (DOCTYPE)
        html lang=(lang.code()) {
            (head(lang, title))
            body {
                a class="skip" href="#main" { (lang.t(K::SkipToContent)) }
                header class="top" {
                    p class="brand" { (lang.t(K::AppTitle)) }
                    nav class="main-nav" aria-label=(lang.t(K::MainNav)) {
                        ul {
                            @for (nav, href, key) in SECTIONS {
                                li { a href=(href) aria-current=[(nav == chrome.nav).then_some("page")] { (lang.t(key)) } }
                            }
                        }
                    }
                    div class="account" {
                        p { (lang.t(K::SignedInAs)) " " strong data-test="signed-in-as" { (chrome.username) } }
                        form method="post" action="/dashboard/sign-out" data-test="sign-out" {
                            input type="hidden" name="csrf" value=(chrome.csrf);
                            button type="submit" class="link" { (lang.t(K::SignOut)) }
                        }
                    }
                    (language_switch(lang, chrome.uri))
                }
                main id="main" tabindex="-1" {
                    h1 { (title) }
                    (body)
                }
            }
        }
    }
}

/// A page for someone not signed in (sign-in, set-up).
pub fn public_page(lang: Lang, title: &str, path: &str, body: Markup) -> Markup {
    let uri: Uri = path.parse().unwrap_or_default();
    html! {
        (DOCTYPE)
        html lang=(lang.code()) {
            (head(lang, title))
            body class="public" {
                a class="skip" href="#main" { (lang.t(K::SkipToContent)) }
                header class="top" {
                    p class="brand" { (lang.t(K::AppTitle)) }
                    (language_switch(lang, &uri))
                }
                main id="main" tabindex="-1" class="narrow" {
                    h1 { (title) }
                    (body)
                }
            }
        }
    }
}

/// The page for a refused request: what kind of refusal, nothing more.
pub fn error_page(lang: Lang, failure: Failure) -> Markup {
    let (title, body) = match failure {
        Failure::NotFound => (K::NotFoundTitle, K::NotFoundBody),
        Failure::BadRequest | Failure::TooLarge => (K::BadRequestTitle, K::BadRequestBody),
        Failure::Forbidden => (K::ForbiddenTitle, K::ForbiddenBody),
        Failure::Internal => (K::InternalTitle, K::InternalBody),
    };
    let body = html! {
        p { (lang.t(body)) }
        p { a href="/dashboard/overview" { (lang.t(K::BackToOverview)) } }
    };
    public_page(lang, lang.t(title), "/dashboard/overview", body)
}
