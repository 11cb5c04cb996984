//! The dashboard is served by the service without a token, every module it
//! imports is embedded, and the API keeps its tokens.

mod support;

use support::seed::Service;

#[test]
fn pages_and_assets_are_served_without_a_token() {
    let service = Service::start();
    let (status, body, kind) = service.request("GET", "/", None, false);
    assert_eq!(status, 200);
    assert!(kind.starts_with("text/html"), "{kind}");
    assert!(body.as_str().unwrap().contains("/assets/js/main.js"));
    for a in didymos_dashboard::ASSETS {
        let (status, _, kind) = service.request("GET", &format!("/assets/{}", a.path), None, false);
        assert_eq!(status, 200, "{}", a.path);
        assert_eq!(kind, a.content_type, "{}", a.path);
    }
    let (status, body, kind) = service.request("GET", "/assets/js/nope.js", None, false);
    assert_eq!(status, 404);
    assert_eq!(kind, "application/problem+json", "{body}");
    // The API still wants its token.
    assert_eq!(service.request("GET", "/v1/twins", None, false).0, 401);
}

#[test]
fn every_imported_module_is_embedded() {
    for a in didymos_dashboard::ASSETS
        .iter()
        .filter(|a| a.path.ends_with(".js"))
    {
        // The SVG namespace is a name, not a fetch.
        let text = std::str::from_utf8(a.body)
            .unwrap()
            .replace("http://www.w3.org/2000/svg", "");
        for part in text.split("from './").skip(1) {
            let name = &part[..part.find('\'').unwrap()];
            let path = format!("js/{name}");
            assert!(
                didymos_dashboard::asset(&path).is_some(),
                "{} imports {path}, not embedded",
                a.path
            );
        }
        // Nothing is fetched from outside the service.
        assert!(
            !text.contains("http://") && !text.contains("https://"),
            "{} names a URL",
            a.path
        );
    }
}
