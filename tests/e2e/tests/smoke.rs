//! Smoke test: the app starts under tauri-driver on an empty data folder and shows the login
//! screen with its test ids. If this fails, the rest of the E2E suite cannot run.

use gridmate_e2e::{App, Bins, Page};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_app_starts_on_the_login_screen() {
    let bins = Bins::from_env();
    let tmp = tempfile::tempdir().unwrap();
    let (app, launch) =
        App::launch(&bins, &tmp.path().join("data"), &tmp.path().join("work")).await;
    for id in [
        "login-server",
        "login-user",
        "login-password",
        "login-submit",
    ] {
        app.find_visible(id).await;
    }
    println!(
        "[e2e] smoke: session {:?}, login screen after {:?}",
        launch.session_ready,
        launch.started.elapsed()
    );
    assert!(app.present("login-advanced").await);
    assert!(
        app.quit().await,
        "the app exits by itself when its WebDriver session ends (its window closes)"
    );
}
