//! Headless Chromium (Debian's `chromium`) driven through its WebDriver (`chromedriver`), for the
//! command-centre console's end-to-end test. `tests/e2e/run.sh` starts chromedriver and names it
//! in `GRIDMATE_E2E_CHROMEDRIVER`.
//!
//! The browser runs with a fresh profile in a temp folder, downloads into a folder the test reads
//! (the console's XLSX export), a 1440×900 window (the size of the console's screenshots), and the
//! flags a closed network needs (no background networking, no component updates).

use std::path::{Path, PathBuf};

use serde_json::json;
use thirtyfour::prelude::*;

use crate::page::Page;

/// chromedriver's address.
pub fn chromedriver_url() -> String {
    std::env::var("GRIDMATE_E2E_CHROMEDRIVER").unwrap_or_else(|_| "http://127.0.0.1:9515".into())
}

/// A Chromium session; quit on [`Browser::quit`] (or when chromedriver ends the session).
pub struct Browser {
    driver: Option<WebDriver>,
    pub downloads: PathBuf,
    _profile: tempfile::TempDir,
}

impl Browser {
    /// Starts Chromium at 1440×900, downloads going to `downloads` (created).
    pub async fn launch(downloads: &Path) -> Self {
        std::fs::create_dir_all(downloads).unwrap();
        let profile = tempfile::tempdir().unwrap();
        let mut caps = DesiredCapabilities::chrome();
        let binary =
            std::env::var("GRIDMATE_E2E_CHROMIUM").unwrap_or_else(|_| "/usr/bin/chromium".into());
        caps.set_binary(&binary).unwrap();
        for arg in [
            "--headless=new",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-dev-shm-usage",
            "--disable-quic",
            "--no-first-run",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--window-size=1440,900",
            "--lang=zh-CN",
        ] {
            caps.add_arg(arg).unwrap();
        }
        caps.add_arg(&format!("--user-data-dir={}", profile.path().display()))
            .unwrap();
        caps.add_experimental_option(
            "prefs",
            json!({
                "download.default_directory": downloads.display().to_string(),
                "download.prompt_for_download": false,
                "intl.accept_languages": "zh-CN,zh",
            }),
        )
        .unwrap();
        let driver = WebDriver::new(chromedriver_url(), caps)
            .await
            .unwrap_or_else(|e| panic!("starting Chromium through chromedriver: {e}"));
        // The window's frame takes part of its size: make the page itself 1440×900.
        driver.set_window_rect(0, 0, 1440, 900).await.unwrap();
        let frame = driver
            .execute("return [window.outerWidth - window.innerWidth, window.outerHeight - window.innerHeight];", vec![])
            .await
            .ok()
            .and_then(|r| serde_json::from_value::<(u32, u32)>(r.json().clone()).ok())
            .unwrap_or((0, 0));
        driver
            .set_window_rect(0, 0, 1440 + frame.0, 900 + frame.1)
            .await
            .unwrap();
        Self {
            driver: Some(driver),
            downloads: downloads.to_owned(),
            _profile: profile,
        }
    }

    pub async fn goto(&self, url: &str) {
        self.driver()
            .goto(url)
            .await
            .unwrap_or_else(|e| panic!("opening {url}: {e}"));
    }

    /// Ends the session (the browser process with it).
    pub async fn quit(mut self) {
        if let Some(d) = self.driver.take()
            && let Err(e) = d.quit().await
        {
            eprintln!("[e2e] ending the Chromium session: {e}");
        }
    }
}

impl Page for Browser {
    fn driver(&self) -> &WebDriver {
        self.driver.as_ref().expect("the browser session is open")
    }
}
