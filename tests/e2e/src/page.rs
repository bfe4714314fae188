//! Driving a page over WebDriver by `data-testid`, shared by the app's tests (tauri-driver +
//! WebKitWebDriver) and the console's (chromedriver + Chromium): waits for states with a deadline,
//! clicks as a user would, types through WebDriver keys, takes screenshots.
#![allow(async_fn_in_trait)] // used by these tests only, never across threads as a trait object

use std::path::PathBuf;
use std::time::{Duration, Instant};

use thirtyfour::prelude::*;

use crate::{WAIT, screenshot_dir, wait_until};

/// A page driven over WebDriver: implement `driver`, get the rest.
pub trait Page {
    fn driver(&self) -> &WebDriver;

    fn sel(testid: &str) -> By {
        By::Css(format!("[data-testid=\"{testid}\"]"))
    }

    /// All elements matching a CSS selector, now (no wait).
    async fn all_css(&self, css: &str) -> Vec<WebElement> {
        self.driver()
            .find_all(By::Css(css.to_owned()))
            .await
            .unwrap_or_default()
    }

    /// Waits for an element matching `css`.
    async fn wait_css(&self, css: &str, timeout: Duration) -> WebElement {
        wait_until(&format!("`{css}`"), timeout, || async {
            self.all_css(css).await.into_iter().next()
        })
        .await
    }

    /// Waits for a displayed element matching `css`.
    async fn wait_css_visible(&self, css: &str, timeout: Duration) -> WebElement {
        wait_until(&format!("`{css}` displayed"), timeout, || async {
            for e in self.all_css(css).await {
                if e.is_displayed().await.unwrap_or(false) {
                    return Some(e);
                }
            }
            None
        })
        .await
    }

    /// Waits for the element with this test id (present in the DOM).
    async fn find(&self, testid: &str) -> WebElement {
        self.wait_css(&format!("[data-testid=\"{testid}\"]"), WAIT)
            .await
    }

    /// Waits for the element with this test id, displayed.
    async fn find_visible(&self, testid: &str) -> WebElement {
        self.wait_css_visible(&format!("[data-testid=\"{testid}\"]"), WAIT)
            .await
    }

    /// Whether an element with this test id is in the DOM now.
    async fn present(&self, testid: &str) -> bool {
        self.driver()
            .find_all(Self::sel(testid))
            .await
            .is_ok_and(|v| !v.is_empty())
    }

    /// Waits until no element with this test id is displayed.
    /// Whether an element with this test id is displayed now (no waiting).
    async fn shown(&self, testid: &str) -> bool {
        for e in self
            .driver()
            .find_all(Self::sel(testid))
            .await
            .unwrap_or_default()
        {
            if e.is_displayed().await.unwrap_or(false) {
                return true;
            }
        }
        false
    }

    async fn wait_gone(&self, testid: &str) {
        wait_until(&format!("[{testid}] gone"), WAIT, || async {
            for e in self
                .driver()
                .find_all(Self::sel(testid))
                .await
                .unwrap_or_default()
            {
                if e.is_displayed().await.unwrap_or(false) {
                    return None;
                }
            }
            Some(())
        })
        .await;
    }

    /// Scrolls an element to the middle of the viewport (clear of the fixed nav bar and tab bar).
    async fn center(&self, el: &WebElement) {
        let _ = self
            .driver()
            .execute(
                "arguments[0].scrollIntoView({block: 'center', inline: 'nearest'});",
                vec![el.to_json().unwrap()],
            )
            .await;
    }

    /// Clicks an element as a user would: scroll into view, WebDriver click, retried for a few
    /// seconds (an overlay still fading out intercepts clicks for a moment). A click WebDriver
    /// still cannot make is a failure: a user could not make it either.
    async fn click_el(&self, what: &str, el: &WebElement) {
        let deadline = Instant::now() + Duration::from_secs(8);
        let mut last = String::new();
        while Instant::now() < deadline {
            self.center(el).await;
            match el.click().await {
                Ok(()) => return,
                Err(e) => last = e.to_string(),
            }
            tokio::time::sleep(Duration::from_millis(250)).await;
        }
        panic!("WebDriver could not click {what} for 8 s: {last}");
    }

    /// Finds (with a deadline) and clicks the element with this test id; a click that fails
    /// because the element went stale is retried with a fresh find.
    async fn click(&self, testid: &str) {
        let el = self.find_visible(testid).await;
        self.click_el(testid, &el).await;
    }

    /// The `<input>` or `<textarea>` with this test id, or inside the element with it.
    async fn input_in(&self, testid: &str) -> WebElement {
        // The test id sits on a wrapper (Vant fields) or on the control itself (Element Plus).
        let css = format!(
            "[data-testid=\"{testid}\"] input, [data-testid=\"{testid}\"] textarea, \
             input[data-testid=\"{testid}\"], textarea[data-testid=\"{testid}\"]"
        );
        self.wait_css(&css, WAIT).await
    }

    async fn value_of(&self, el: &WebElement) -> String {
        self.driver()
            .execute("return arguments[0].value;", vec![el.to_json().unwrap()])
            .await
            .ok()
            .and_then(|r| r.json().as_str().map(str::to_owned))
            .unwrap_or_default()
    }

    /// Types `text` into the input inside `testid`, replacing what was there, through WebDriver
    /// keys (CJK text included) as a user would; the field must then hold exactly `text`.
    async fn type_into(&self, testid: &str, text: &str) {
        let el = self.input_in(testid).await;
        self.center(&el).await;
        self.click_el(testid, &el).await;
        if !self.value_of(&el).await.is_empty() {
            // Select all and delete: `clear()` does not fire the `input` event Vue listens to.
            el.send_keys(Key::Control + "a")
                .await
                .unwrap_or_else(|e| panic!("select all in {testid}: {e}"));
            el.send_keys(Key::Backspace)
                .await
                .unwrap_or_else(|e| panic!("delete in {testid}: {e}"));
        }
        el.send_keys(text)
            .await
            .unwrap_or_else(|e| panic!("typing into {testid}: {e}"));
        let v = self.value_of(&el).await;
        assert_eq!(v, text, "the input of {testid} holds the typed text");
    }

    /// Text of the element with this test id (waits for it).
    async fn text(&self, testid: &str) -> String {
        self.find(testid).await.text().await.unwrap_or_default()
    }

    /// Waits for the paint (about 1 s: an immediate screenshot can show a stale frame), then
    /// writes `name.png` into the screenshot folder.
    async fn screenshot(&self, name: &str) -> PathBuf {
        tokio::time::sleep(Duration::from_millis(1100)).await;
        let png = self.driver().screenshot_as_png().await.unwrap();
        let path = screenshot_dir().join(format!("{name}.png"));
        std::fs::write(&path, png).unwrap();
        println!("[e2e] screenshot {}", path.display());
        path
    }
}
