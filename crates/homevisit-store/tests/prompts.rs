//! Which conversation starters a phone shows: the school's pack, the district's, the built-in;
//! by language tag, primary tag, related tag, then English; and a visit's family's language.

mod common;

use common::*;
use homevisit_fixtures::DataSet;
use homevisit_model::*;

fn lang(tag: &str) -> Language {
    Language::parse(tag).unwrap()
}

fn built_in(tag: &str, n: VisitNumber) -> PromptPack {
    PromptPack::built_in().into_iter().find(|p| p.language.as_str() == tag && p.visit_number == n).unwrap()
}

fn edited(tag: &str, n: VisitNumber, school: Option<SchoolId>, title: &str) -> PromptPack {
    PromptPack { school_id: school, title: title.into(), ..built_in(tag, n) }
}

fn visit_of(data: &DataSet, family: &str) -> VisitPlan {
    let family = data.families.iter().find(|f| f.display_name == family).unwrap();
    data.visits.iter().find(|(log, _)| log.plan.family_id == family.id).unwrap().0.plan.clone()
}

#[test]
fn a_language_falls_back_by_tag_then_to_english() {
    let dir = tempfile::tempdir().unwrap();
    let (mut store, _) = demo_store(&dir);
    let first = VisitNumber::First;
    let pick = |store: &mut homevisit_store::Store, tag: &str| store.prompt_pack(&lang(tag), first).unwrap();
    for tag in ["en", "es", "ar", "zh-Hans", "vi", "so", "ht", "pt"] {
        assert_eq!(pick(&mut store, tag), built_in(tag, first), "{tag}: its own built-in pack");
    }
    assert_eq!(pick(&mut store, "es-MX").language.as_str(), "es", "primary tag");
    assert_eq!(pick(&mut store, "pt-BR").language.as_str(), "pt", "primary tag");
    assert_eq!(pick(&mut store, "zh").language.as_str(), "zh-Hans", "a pack of the same primary tag");
    assert_eq!(pick(&mut store, "zh-CN").language.as_str(), "zh-Hans");
    assert_eq!(pick(&mut store, "ja").language.as_str(), "en", "no pack: English");
    assert_eq!(pick(&mut store, "so").visit_number, first);
    assert_eq!(store.prompt_pack(&lang("so"), VisitNumber::Second).unwrap(), built_in("so", VisitNumber::Second));
}

#[test]
fn the_schools_pack_comes_before_the_districts_and_the_districts_before_the_built_in() {
    let dir = tempfile::tempdir().unwrap();
    let (mut store, data) = demo_store(&dir);
    let (lincoln, roosevelt) = (data.schools[0].id, data.schools[1].id);
    let n = VisitNumber::First;
    let so = lang("so");

    assert_eq!(store.prompt_pack_for(Some(lincoln), &so, n).unwrap(), built_in("so", n));
    let district = edited("so", n, None, "District: booqashada koowaad");
    store.put_prompt_pack(&district).unwrap();
    assert_eq!(store.prompt_pack_for(Some(lincoln), &so, n).unwrap(), district);
    assert_eq!(store.prompt_pack_for(None, &so, n).unwrap(), district);

    let school = edited("so", n, Some(lincoln), "Lincoln: booqashada koowaad");
    store.put_prompt_pack(&school).unwrap();
    assert_eq!(store.prompt_pack_for(Some(lincoln), &so, n).unwrap(), school);
    // Another school, and the district view, keep the district's pack.
    assert_eq!(store.prompt_pack_for(Some(roosevelt), &so, n).unwrap(), district);
    assert_eq!(store.prompt_pack_for(None, &so, n).unwrap(), district);
    // The other visit number is untouched.
    assert_eq!(
        store.prompt_pack_for(Some(lincoln), &so, VisitNumber::Second).unwrap(),
        built_in("so", VisitNumber::Second)
    );

    // A school's pack in a language the app does not ship is found by its primary tag too.
    let french = PromptPack { language: lang("fr"), ..edited("en", n, Some(roosevelt), "Roosevelt: première visite") };
    store.put_prompt_pack(&french).unwrap();
    assert_eq!(store.prompt_pack_for(Some(roosevelt), &lang("fr-CA"), n).unwrap(), french);
    assert_eq!(store.prompt_pack_for(Some(lincoln), &lang("fr-CA"), n).unwrap().language.as_str(), "en");

    // Kept across a reopen (and its index rebuilt from the documents).
    drop(store);
    let mut store = open(&db_path(&dir));
    assert_eq!(store.prompt_pack_for(Some(lincoln), &so, n).unwrap(), school);
}

#[test]
fn a_phone_of_one_school_prefers_that_schools_pack() {
    let dir = tempfile::tempdir().unwrap();
    let (day, offset) = demo_day();
    let data = homevisit_fixtures::demo::data_set(day, offset);
    let mut store = open(&db_path(&dir));
    let lincoln = data.schools[0].id;
    let n = VisitNumber::Second;
    let school = edited("vi", n, Some(lincoln), "Lincoln: lần thăm thứ hai");
    store.put_prompt_pack(&school).unwrap();
    // No school record yet: the phone does not know its school, so the district's (built-in) pack.
    assert_eq!(store.home_school().unwrap(), None);
    assert_eq!(store.prompt_pack(&lang("vi"), n).unwrap(), built_in("vi", n));
    store.put_school(&data.schools[0]).unwrap();
    assert_eq!(store.home_school().unwrap(), Some(lincoln));
    assert_eq!(store.prompt_pack(&lang("vi"), n).unwrap(), school);
    // A device holding two schools' records (a district administrator's) uses the district's.
    store.put_school(&data.schools[1]).unwrap();
    assert_eq!(store.home_school().unwrap(), None);
    assert_eq!(store.prompt_pack(&lang("vi"), n).unwrap(), built_in("vi", n));
}

#[test]
fn a_visit_gets_its_familys_language_and_its_visit_number() {
    let dir = tempfile::tempdir().unwrap();
    let (mut store, data) = demo_store(&dir);
    for (family, tag) in
        [("Nguyen family", "vi"), ("Haddad family", "ar"), ("Morales family", "es"), ("Tanaka family", "en")]
    {
        let plan = visit_of(&data, family);
        let pack = store.prompts_for_visit(plan.id).unwrap();
        assert_eq!((pack.language.as_str(), pack.visit_number), (tag, plan.visit_number), "{family}");
    }
    // The visit's school's pack, once there is one.
    let plan = visit_of(&data, "Haddad family");
    let school = edited("ar", plan.visit_number, Some(plan.school_id), "روزفلت: الزيارة");
    store.put_prompt_pack(&school).unwrap();
    assert_eq!(store.prompts_for_visit(plan.id).unwrap(), school);
    // The family's language changes: so do the prompts.
    let mut family = store.family(plan.family_id).unwrap();
    family.preferred_language = lang("so");
    store.put_family(&family).unwrap();
    assert_eq!(store.prompts_for_visit(plan.id).unwrap(), built_in("so", plan.visit_number));
    // An unknown visit is an error, not a guess.
    assert!(store.prompts_for_visit(VisitId::new()).is_err());
}

#[test]
fn a_phone_index_from_before_school_packs_is_rebuilt_with_its_edited_packs() {
    let dir = tempfile::tempdir().unwrap();
    let (mut store, _) = demo_store(&dir);
    let district = edited("es", VisitNumber::First, None, "Distrito: primera visita");
    store.put_prompt_pack(&district).unwrap();
    drop(store);
    // Back to the phone index of version 1: its pack table without schools, at schema 2.
    let conn = raw_connection(&db_path(&dir));
    conn.execute_batch(
        "DROP TABLE prompt_pack_index;
         CREATE TABLE prompt_pack_index (language TEXT NOT NULL, visit_number INTEGER NOT NULL,
           doc_id TEXT NOT NULL, PRIMARY KEY (language, visit_number)) STRICT;
         UPDATE meta SET value = 2 WHERE key = 'schema:phone';
         UPDATE meta SET value = 1 WHERE key = 'index_version:phone';",
    )
    .unwrap();
    drop(conn);
    let mut store = open(&db_path(&dir));
    assert_eq!(store.prompt_pack(&lang("es-MX"), VisitNumber::First).unwrap(), district);
}
