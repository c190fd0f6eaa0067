use reqwest::StatusCode;
use serde_json::{Value, json};
use service_kit::backend_tests;
use service_kit::testing::TestApp;

use crate::{BODY, SERVICES, create_npo, pointers, problem};

fn cases() -> Value {
    serde_json::from_str(include_str!("../cases/search.json")).expect("the search cases parse")
}

async fn names_found(app: &service_kit::testing::TestApp, query: &str) -> Vec<String> {
    let page: Value = app
        .client
        .get(app.url("/v1/npos"))
        .query(&[("q", query)])
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let mut names: Vec<String> = page["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|card| card["name_ru"].as_str().unwrap_or_default().to_owned())
        .collect();
    names.sort();
    names
}

backend_tests! {
    services: SERVICES;

    async fn case_queries_find_names(app) {
        for npo in cases()["npos"].as_array().unwrap() {
            let mut body = npo.clone();
            body["legal_form"] = json!("public_association");
            body["source"] = json!("registration_data");
            create_npo(&app, &body).await;
        }

        for case in cases()["queries"].as_array().unwrap() {
            let query = case["q"].as_str().unwrap();
            let mut expected: Vec<String> = case["finds"].as_array().unwrap().iter().map(|n| n.as_str().unwrap().to_owned()).collect();
            expected.sort();

            assert_eq!(names_found(&app, query).await, expected, "query {query:?}: {}", case["note"]);
        }
    }

    async fn like_wildcards_match_literally(app) {
        create_npo(&app, &json!({"name_ru": "Фонд 100% помощи", "legal_form": "public_foundation", "source": "media"})).await;
        create_npo(&app, &json!({"name_ru": "Фонд помощи", "legal_form": "public_foundation", "source": "media"})).await;

        assert_eq!(names_found(&app, "100%").await, vec!["Фонд 100% помощи"]);
        assert!(names_found(&app, "_").await.is_empty());
        assert_eq!(names_found(&app, "ФОНД").await.len(), 2);
    }

    async fn filters_combine_with_territory_subtree(app) {
        let mut ulytau_village = json!({"name_ru": "Ассоциация Улытау", "legal_form": "association_of_legal_entities", "source": "media"});
        ulytau_village["territories"] = json!(["623830100"]);
        ulytau_village["spheres"] = json!(["ecology"]);
        let mut almaty = json!({"name_ru": "Фонд Алматы", "legal_form": "public_foundation", "source": "media"});
        almaty["territories"] = json!(["750000000"]);
        almaty["spheres"] = json!(["ecology"]);
        create_npo(&app, &ulytau_village).await;
        create_npo(&app, &almaty).await;
        let app = &app;
        let list = |query: &'static [(&'static str, &'static str)]| async move {
            let page: Value = app.client.get(app.url("/v1/npos")).query(query).send().await.unwrap().json().await.unwrap();
            page["items"].as_array().unwrap().iter().map(|c| c["name_ru"].as_str().unwrap().to_owned()).collect::<Vec<_>>()
        };

        assert_eq!(list(&[("territory", "620000000")]).await, vec!["Ассоциация Улытау"]);
        assert_eq!(list(&[("territory", "623800000")]).await, vec!["Ассоциация Улытау"]);
        assert_eq!(list(&[("sphere", "ecology")]).await.len(), 2);
        assert_eq!(list(&[("sphere", "ecology"), ("legal_form", "public_foundation")]).await, vec!["Фонд Алматы"]);
        assert!(list(&[("sphere", "youth")]).await.is_empty());
        assert!(list(&[("status", "liquidated")]).await.is_empty());
    }

    async fn territory_filter_follows_classifier(app) {
        let mut body = json!({"name_ru": "Сельское объединение", "legal_form": "public_association", "source": "media"});
        body["territories"] = json!(["101033102"]);
        create_npo(&app, &body).await;

        let by_parent: Value = app.client.get(app.url("/v1/npos?territory=101033100")).send().await.unwrap().json().await.unwrap();
        let within: Value = app.client.get(app.url("/v1/territories?within=101033100")).send().await.unwrap().json().await.unwrap();

        assert_eq!(by_parent["items"].as_array().unwrap().len(), 1, "101033102 lies under 101033100 in the classifier");
        assert!(within["items"].as_array().unwrap().iter().any(|t| t["code"] == "101033102"));
    }

    async fn invalid_filters_named(app) {
        let response = app.client.get(app.url("/v1/npos?territory=12&sphere=astrology&limit=500")).send().await.unwrap();

        let problem = problem(response, reqwest::StatusCode::UNPROCESSABLE_ENTITY).await;

        let pointers_found = pointers(&problem);
        assert!(pointers_found.contains(&"#/query/territory".to_owned()));
        assert!(pointers_found.contains(&"#/query/sphere".to_owned()));
        let wrong_type = app.client.get(app.url("/v1/npos?limit=abc")).send().await.unwrap();
        let unknown = app.client.get(app.url("/v1/npos?colour=red")).send().await.unwrap();
        let repeated = app.client.get(app.url("/v1/npos?limit=1&limit=2")).send().await.unwrap();
        assert_eq!(pointers(&crate::problem(repeated, reqwest::StatusCode::UNPROCESSABLE_ENTITY).await), vec!["#/query/limit"]);
        assert_eq!(pointers(&crate::problem(wrong_type, reqwest::StatusCode::UNPROCESSABLE_ENTITY).await), vec!["#/query/limit"]);
        assert_eq!(pointers(&crate::problem(unknown, reqwest::StatusCode::UNPROCESSABLE_ENTITY).await), vec!["#/query/colour"]);
    }

    async fn pages_follow_cursor(app) {
        for name in ["Первое", "Второе", "Третье"] {
            create_npo(&app, &json!({"name_ru": name, "legal_form": "public_association", "source": "media"})).await;
        }

        let first: Value = app.client.get(app.url("/v1/npos?limit=2")).send().await.unwrap().json().await.unwrap();
        let cursor = first["next_cursor"].as_str().unwrap();
        let second: Value = app.client.get(app.url("/v1/npos")).query(&[("limit", "2"), ("cursor", cursor)]).send().await.unwrap().json().await.unwrap();
        let bad = app.client.get(app.url("/v1/npos?cursor=%%%")).send().await.unwrap();
        let too_many = app.client.get(app.url("/v1/npos?limit=201")).send().await.unwrap();

        assert_eq!(first["items"].as_array().unwrap().len(), 2);
        assert_eq!(second["items"].as_array().unwrap().len(), 1);
        assert_eq!(second["items"][0]["name_ru"], "Третье");
        assert!(second["next_cursor"].is_null());
        assert_eq!(bad.status(), reqwest::StatusCode::UNPROCESSABLE_ENTITY);
        assert_eq!(too_many.status(), reqwest::StatusCode::UNPROCESSABLE_ENTITY);
    }
}

/// Reads one page of the public list.
async fn list_page(app: &TestApp, query: &[(&str, &str)]) -> Value {
    let response = app
        .client
        .get(app.url("/v1/npos"))
        .query(query)
        .send()
        .await
        .unwrap();
    let status = response.status();
    let body: Value = response.json().await.unwrap();
    assert_eq!(status, StatusCode::OK, "{query:?}: {body}");
    body
}

/// Reads every page of the list in `sort` order, `limit` items at a time.
async fn all_pages(app: &TestApp, sort: Option<&str>, limit: usize) -> Vec<Value> {
    let mut items = Vec::new();
    let mut cursor: Option<String> = None;
    for _ in 0..100 {
        let limit = limit.to_string();
        let mut query = vec![("limit", limit.as_str())];
        if let Some(sort) = sort {
            query.push(("sort", sort));
        }
        if let Some(cursor) = &cursor {
            query.push(("cursor", cursor.as_str()));
        }
        let page = list_page(app, &query).await;
        items.extend(page["items"].as_array().unwrap().iter().cloned());
        match page["next_cursor"].as_str() {
            Some(next) => cursor = Some(next.to_owned()),
            None => return items,
        }
    }
    panic!("the list in {sort:?} order did not end within 100 pages");
}

fn field(items: &[Value], name: &str) -> Vec<String> {
    items
        .iter()
        .map(|item| item[name].as_str().unwrap_or("-").to_owned())
        .collect()
}

fn npo(name_ru: Option<&str>, name_kk: Option<&str>, registered_on: Option<&str>) -> Value {
    let mut body = json!({"legal_form": "public_association", "source": "registration_data"});
    if let Some(name) = name_ru {
        body["name_ru"] = json!(name);
    }
    if let Some(name) = name_kk {
        body["name_kk"] = json!(name);
    }
    if let Some(date) = registered_on {
        body["registered_on"] = json!(date);
    }
    body
}

/// Names whose first letters cover the Kazakh letters that code-point order misplaces.
const KAZAKH_ORDER: [&str; 10] = [
    "Алтын дән",
    "Әлем",
    "Бірлік",
    "Ғылым ордасы",
    "Қамқорлық",
    "Өркен",
    "Ұлытау жастары",
    "Үміт",
    "Іргетас",
    "Ясауи",
];

backend_tests! {
    services: SERVICES;

    async fn target_group_filter_matches(app) {
        let mut youth = npo(Some("Молодёжный фонд"), None, None);
        youth["target_groups"] = json!(["youth", "women"]);
        let mut elderly = npo(Some("Фонд ветеранов"), None, None);
        elderly["target_groups"] = json!(["elderly"]);
        let youth = create_npo(&app, &youth).await;
        create_npo(&app, &elderly).await;

        let found = list_page(&app, &[("target_group", "youth")]).await;
        let women = list_page(&app, &[("target_group", "women")]).await;
        let unknown = app.client.get(app.url("/v1/npos?target_group=aliens")).send().await.unwrap();

        assert_eq!(field(found["items"].as_array().unwrap(), "name_ru"), ["Молодёжный фонд"]);
        assert_eq!(women["items"].as_array().unwrap().len(), 1);
        assert_eq!(pointers(&problem(unknown, StatusCode::UNPROCESSABLE_ENTITY).await), ["#/query/target_group"]);

        let path = format!("/v1/npos/{}", youth["id"].as_str().unwrap());
        let changed = app.client.patch(app.url(&path)).bearer_auth(app.officer(BODY)).header("If-Match", "\"1\"")
            .json(&json!({"target_groups": ["elderly"], "source": "media"})).send().await.unwrap();
        assert_eq!(changed.status(), StatusCode::OK);
        let after_change = list_page(&app, &[("target_group", "youth")]).await;
        let elderly_now = list_page(&app, &[("target_group", "elderly")]).await;
        assert!(after_change["items"].as_array().unwrap().is_empty(), "the update left the old link");
        assert_eq!(elderly_now["items"].as_array().unwrap().len(), 2);
    }

    async fn registration_dates_bound_inclusively(app) {
        create_npo(&app, &npo(Some("Раньше"), None, Some("2009-12-31"))).await;
        create_npo(&app, &npo(Some("Начало"), None, Some("2010-01-01"))).await;
        create_npo(&app, &npo(Some("Конец"), None, Some("2010-12-31"))).await;
        create_npo(&app, &npo(Some("Позже"), None, Some("2011-01-01"))).await;
        create_npo(&app, &npo(Some("Без даты"), None, None)).await;

        let within = list_page(&app, &[("registered_from", "2010-01-01"), ("registered_to", "2010-12-31"), ("sort", "registered_on")]).await;
        let from = list_page(&app, &[("registered_from", "2010-12-31")]).await;
        let to = list_page(&app, &[("registered_to", "2009-12-31")]).await;
        let one_day = list_page(&app, &[("registered_from", "2010-01-01"), ("registered_to", "2010-01-01")]).await;

        assert_eq!(field(within["items"].as_array().unwrap(), "name_ru"), ["Начало", "Конец"]);
        let mut after: Vec<String> = field(from["items"].as_array().unwrap(), "name_ru");
        after.sort();
        assert_eq!(after, ["Конец", "Позже"]);
        assert_eq!(field(to["items"].as_array().unwrap(), "name_ru"), ["Раньше"]);
        assert_eq!(field(one_day["items"].as_array().unwrap(), "name_ru"), ["Начало"]);
    }

    async fn inverted_date_range_rejected(app) {
        let inverted = app.client.get(app.url("/v1/npos?registered_from=2011-01-01&registered_to=2010-01-01")).send().await.unwrap();
        let malformed = app.client.get(app.url("/v1/npos?registered_to=01.01.2010")).send().await.unwrap();
        let facets = app.client.get(app.url("/v1/npo-facets?registered_from=2011-01-01&registered_to=2010-01-01")).send().await.unwrap();
        let export = app.client.get(app.url("/v1/open-data/npos.csv?registered_from=2011-01-01&registered_to=2010-01-01")).send().await.unwrap();

        let inverted = problem(inverted, StatusCode::UNPROCESSABLE_ENTITY).await;
        assert_eq!(pointers(&inverted), ["#/query/registered_from"]);
        assert!(inverted["errors"][0]["message"].as_str().unwrap().contains("2010-01-01"));
        assert_eq!(pointers(&problem(malformed, StatusCode::UNPROCESSABLE_ENTITY).await), ["#/query/registered_to"]);
        assert_eq!(pointers(&problem(facets, StatusCode::UNPROCESSABLE_ENTITY).await), ["#/query/registered_from"]);
        assert_eq!(pointers(&problem(export, StatusCode::UNPROCESSABLE_ENTITY).await), ["#/query/registered_from"]);
    }

    async fn kazakh_names_sort_alphabetically(app) {
        let mut shuffled = KAZAKH_ORDER;
        shuffled.reverse();
        shuffled.swap(0, 6);
        for (index, name) in shuffled.iter().enumerate() {
            // Letter case and quotes must not change the order.
            let written = if index % 2 == 0 { format!("«{}»", name.to_uppercase()) } else { (*name).to_owned() };
            create_npo(&app, &npo(Some("Фонд"), Some(&written), None)).await;
        }
        create_npo(&app, &npo(Some("Только русское имя"), None, None)).await;

        let page = list_page(&app, &[("sort", "name_kk"), ("limit", "200")]).await;

        let names: Vec<String> = field(page["items"].as_array().unwrap(), "name_kk")
            .into_iter()
            .map(|name| name.trim_matches(['«', '»']).to_lowercase())
            .collect();
        let expected: Vec<String> = KAZAKH_ORDER.iter().map(|name| name.to_lowercase()).chain(["-".to_owned()]).collect();
        assert_eq!(names, expected);
    }

    async fn russian_names_sort_alphabetically(app) {
        let expected = ["1-я школа", "2 ступени", "10 шагов", "Alpha", "beta", "Ассоциация «Ёлка»", "ассоциация Жасыл", "Ель", "Ёж", "Фонд «Яблоко»", "Юность"];
        let mut shuffled = expected;
        shuffled.reverse();
        shuffled.swap(1, 7);
        for name in shuffled {
            create_npo(&app, &npo(Some(name), None, None)).await;
        }
        create_npo(&app, &npo(None, Some("Тек қазақша"), None)).await;

        let page = list_page(&app, &[("sort", "name_ru"), ("limit", "200")]).await;

        let names = field(page["items"].as_array().unwrap(), "name_ru");
        let mut expected: Vec<String> = expected.iter().map(|name| (*name).to_owned()).collect();
        expected.push("-".to_owned());
        assert_eq!(names, expected);
    }

    async fn registration_date_sorts_keep_undated_last(app) {
        for (name, date) in [("Б", Some("2015-05-01")), ("Без даты 1", None), ("А", Some("2001-01-01")), ("В", Some("2020-02-29")), ("Без даты 2", None)] {
            create_npo(&app, &npo(Some(name), None, date)).await;
        }

        let ascending = list_page(&app, &[("sort", "registered_on")]).await;
        let descending = list_page(&app, &[("sort", "-registered_on")]).await;

        assert_eq!(field(ascending["items"].as_array().unwrap(), "name_ru"), ["А", "Б", "В", "Без даты 1", "Без даты 2"]);
        assert_eq!(field(descending["items"].as_array().unwrap(), "name_ru"), ["В", "Б", "А", "Без даты 2", "Без даты 1"]);
    }

    async fn every_sort_pages_without_gaps(app) {
        // Equal names, equal dates and missing values put page boundaries inside groups
        // of equal sort values and between NPOs with and without a value.
        let rows = [
            (Some("Фонд"), Some("Қор"), Some("2010-01-01")),
            (Some("Фонд"), Some("Қор"), Some("2010-01-01")),
            (Some("фонд"), None, None),
            (None, Some("Әлем"), Some("2010-01-01")),
            (Some("Альфа"), Some("Әлем"), None),
            (Some("Омега"), Some("Ұлы дала"), Some("1999-03-08")),
            (Some("Омега"), None, Some("2024-06-30")),
            (None, Some("Ясауи"), None),
            (Some("Бета"), Some("Бірлік"), Some("2010-01-01")),
            (Some("Гамма"), Some("Ғасыр"), None),
            (Some("«Фонд»"), Some("Қор"), Some("2024-06-30")),
            (Some("Дельта"), Some("Іргетас"), Some("2001-09-01")),
            (Some("Эпсилон"), None, None),
        ];
        for (name_ru, name_kk, date) in rows {
            create_npo(&app, &npo(name_ru, name_kk, date)).await;
        }

        for sort in [None, Some("name_ru"), Some("name_kk"), Some("registered_on"), Some("-registered_on")] {
            let whole = list_page(&app, &{
                let mut query = vec![("limit", "200")];
                query.extend(sort.map(|sort| ("sort", sort)));
                query
            }).await;
            let whole_ids = field(whole["items"].as_array().unwrap(), "id");
            for limit in [1, 2, 3, 4, 5] {
                let paged = all_pages(&app, sort, limit).await;

                let ids = field(&paged, "id");
                assert_eq!(ids, whole_ids, "sort {sort:?}, pages of {limit}");
            }
            let mut unique = whole_ids.clone();
            unique.sort();
            unique.dedup();
            assert_eq!(unique.len(), rows.len(), "sort {sort:?} repeats or drops NPOs");
        }
        let by_date = all_pages(&app, Some("registered_on"), 3).await;
        let dates: Vec<String> = field(&by_date, "registered_on");
        let dated: Vec<&String> = dates.iter().filter(|d| *d != "-").collect();
        assert!(dated.windows(2).all(|pair| pair[0] <= pair[1]), "{dates:?}");
        assert!(dates[dated.len()..].iter().all(|d| d == "-"), "{dates:?}");
    }

    async fn cursor_of_other_sort_rejected(app) {
        for name in ["Первое", "Второе", "Третье"] {
            create_npo(&app, &npo(Some(name), None, Some("2010-01-01"))).await;
        }
        let by_name = list_page(&app, &[("sort", "name_ru"), ("limit", "1")]).await;
        let cursor = by_name["next_cursor"].as_str().unwrap();

        let by_date = app.client.get(app.url("/v1/npos")).query(&[("sort", "registered_on"), ("cursor", cursor)]).send().await.unwrap();
        let by_id = app.client.get(app.url("/v1/npos")).query(&[("cursor", cursor)]).send().await.unwrap();
        let same = app.client.get(app.url("/v1/npos")).query(&[("sort", "name_ru"), ("cursor", cursor)]).send().await.unwrap();
        let unknown_sort = app.client.get(app.url("/v1/npos?sort=name")).send().await.unwrap();
        let forged = app.client.get(app.url("/v1/npos")).query(&[("sort", "registered_on"), ("cursor", "WyJyZWdpc3RlcmVkX29uIiwiMjAxMC0xMy0wMSIsIngiXQ")]).send().await.unwrap();

        let by_date = problem(by_date, StatusCode::UNPROCESSABLE_ENTITY).await;
        assert_eq!(pointers(&by_date), ["#/query/cursor"]);
        assert!(by_date["errors"][0]["message"].as_str().unwrap().contains("name_ru"));
        assert_eq!(pointers(&problem(by_id, StatusCode::UNPROCESSABLE_ENTITY).await), ["#/query/cursor"]);
        assert_eq!(same.status(), StatusCode::OK);
        assert_eq!(pointers(&problem(unknown_sort, StatusCode::UNPROCESSABLE_ENTITY).await), ["#/query/sort"]);
        assert_eq!(pointers(&problem(forged, StatusCode::UNPROCESSABLE_ENTITY).await), ["#/query/cursor"]);
    }

    async fn facets_count_distinct_npos(app) {
        // Two territories in the Ұлытау region: the NPO counts there once.
        let mut both = npo(Some("Оба региона"), None, None);
        both["territories"] = json!(["620000000", "623800000", "750000000"]);
        both["spheres"] = json!(["youth", "ecology"]);
        let mut ulytau = npo(Some("Улытау"), None, None);
        ulytau["territories"] = json!(["623830100"]);
        ulytau["spheres"] = json!(["youth"]);
        let mut almaty = npo(Some("Алматы"), None, None);
        almaty["territories"] = json!(["750000000"]);
        almaty["spheres"] = json!(["ecology"]);
        almaty["legal_form"] = json!("public_foundation");
        create_npo(&app, &both).await;
        create_npo(&app, &ulytau).await;
        create_npo(&app, &almaty).await;
        create_npo(&app, &npo(Some("Без сфер"), None, None)).await;
        let facets = |query: &'static [(&'static str, &'static str)]| {
            let app = &app;
            async move {
                let response = app.client.get(app.url("/v1/npo-facets")).query(query).send().await.unwrap();
                assert_eq!(response.status(), StatusCode::OK);
                response.json::<Value>().await.unwrap()
            }
        };

        let everything = facets(&[]).await;
        let youth = facets(&[("sphere", "youth")]).await;
        let in_ulytau = facets(&[("territory", "620000000")]).await;
        let foundations = facets(&[("legal_form", "public_foundation"), ("q", "алма")]).await;
        let unknown_territory = facets(&[("territory", "999999999")]).await;

        assert_eq!(everything, json!({"total": 4, "spheres": {"youth": 2, "ecology": 2}, "regions": {"620000000": 2, "750000000": 2}}));
        assert_eq!(youth, json!({"total": 2, "spheres": {"youth": 2, "ecology": 1}, "regions": {"620000000": 2, "750000000": 1}}));
        assert_eq!(in_ulytau, json!({"total": 2, "spheres": {"youth": 2, "ecology": 1}, "regions": {"620000000": 2, "750000000": 1}}));
        assert_eq!(foundations, json!({"total": 1, "spheres": {"ecology": 1}, "regions": {"750000000": 1}}));
        assert_eq!(unknown_territory, json!({"total": 0, "spheres": {}, "regions": {}}));
        let invalid = app.client.get(app.url("/v1/npo-facets?sphere=astrology&limit=5")).send().await.unwrap();
        let invalid = problem(invalid, StatusCode::UNPROCESSABLE_ENTITY).await;
        assert_eq!(pointers(&invalid), ["#/query/limit"]);
    }
}
